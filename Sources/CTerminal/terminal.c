#define _GNU_SOURCE
#include "git_sprite_terminal.h"
#include <sys/ioctl.h>
#include <termios.h>
#include <signal.h>
#include <pthread.h>
#include <semaphore.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static struct termios saved;
static int saved_fd = -1;

int git_sprite_window_size(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int git_sprite_raw_terminal(int fd) {
    struct termios raw;
    if (tcgetattr(fd, &saved) != 0) return -1;
    saved_fd = fd;
    raw = saved;
    cfmakeraw(&raw);
    // TCSADRAIN, as ssh does: what was typed while the session was opening is kept for it
    return tcsetattr(fd, TCSADRAIN, &raw);
}

static int alternate_screen;
/* the terminal a session's output goes to (-1: none), and where the reading of its control
 * sequences stands between two writes: 0 text, 1 after ESC, 2 after ESC [, 3 in ESC [ ? digits */
static int session_fd = -1;
static int sequence_state, sequence_mode, sequence_screen; /* (a screen mode among its parameters) */

void git_sprite_session_output_begin(int fd) {
    sequence_state = sequence_mode = sequence_screen = 0;
    __atomic_store_n(&alternate_screen, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&session_fd, isatty(fd) ? fd : -1, __ATOMIC_SEQ_CST);
}

void git_sprite_session_output_end(void) { __atomic_store_n(&session_fd, -1, __ATOMIC_SEQ_CST); }

static int write_fully(int fd, const unsigned char *bytes, size_t count) {
    while (count > 0) {
        ssize_t n = write(fd, bytes, count);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        bytes += n;
        count -= (size_t)n;
    }
    return 0;
}

static int is_screen_mode(int mode) { return mode == 1049 || mode == 1047 || mode == 47; }

/* Reads one byte of the output; returns 'h' or 'l' when it ends a switch of the alternate
 * screen (CSI ? 1049/1047/47 h or l, that mode anywhere among the parameters), else 0. */
static int screen_switch(unsigned char c) {
    if (c == 0x1b) {
        sequence_state = 1;
        return 0;
    }
    switch (sequence_state) {
    case 1:
        sequence_state = c == '[' ? 2 : 0;
        return 0;
    case 2:
        sequence_state = c == '?' ? 3 : 0;
        sequence_mode = sequence_screen = 0;
        return 0;
    case 3:
        if (c >= '0' && c <= '9' && sequence_mode < 100000) {
            sequence_mode = sequence_mode * 10 + (c - '0');
            return 0;
        }
        if (c == ';') {
            sequence_screen |= is_screen_mode(sequence_mode);
            sequence_mode = 0;
            return 0;
        }
        sequence_state = 0;
        if ((c == 'h' || c == 'l') && (sequence_screen || is_screen_mode(sequence_mode))) return c;
        return 0;
    default:
        return 0;
    }
}

int git_sprite_write_session(int fd, const unsigned char *bytes, size_t count) {
    if (__atomic_load_n(&session_fd, __ATOMIC_SEQ_CST) < 0) return write_fully(fd, bytes, count);
    size_t start = 0;
    for (size_t i = 0; i < count; i++) {
        int switched = screen_switch(bytes[i]);
        /* on counts from before the switch is written, off from after: a write cut by a signal
         * leaves the record on, and the reset leaves the alternate screen rather than leave
         * the user on it */
        if (switched == 'h') __atomic_store_n(&alternate_screen, 1, __ATOMIC_SEQ_CST);
        if (switched == 'l') {
            if (write_fully(fd, bytes + start, i + 1 - start) != 0) return -1;
            start = i + 1;
            __atomic_store_n(&alternate_screen, 0, __ATOMIC_SEQ_CST);
        }
    }
    return write_fully(fd, bytes + start, count - start);
}

void git_sprite_reset_terminal_modes(void) {
    int fd = saved_fd >= 0 ? (isatty(STDOUT_FILENO) ? STDOUT_FILENO : saved_fd)
                           : __atomic_load_n(&session_fd, __ATOMIC_SEQ_CST);
    if (fd < 0) return;
    /* the alternate screen left, only when it is on: leaving also restores a saved cursor,
     * which on the main screen would move the cursor back over what is there */
    static const char leave[] = "\033[?1049l";
    if (__atomic_exchange_n(&alternate_screen, 0, __ATOMIC_SEQ_CST)) (void)!write(fd, leave, sizeof(leave) - 1);
    /* the cursor shown, cursor keys and keypad back to normal, mouse reports, focus events
     * and bracketed paste off, attributes reset, a fresh line */
    static const char reset[] = "\033[?25h\033[?1l\033>\033[?1000l\033[?1002l\033[?1003l"
                                "\033[?1006l\033[?1004l\033[?2004l\033[0m\r\n";
    (void)!write(fd, reset, sizeof(reset) - 1);
}

void git_sprite_restore_terminal(void) {
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSADRAIN, &saved);
        saved_fd = -1;
    }
}

#define GIT_SPRITE_MAX_CHILDREN 256
static int children[GIT_SPRITE_MAX_CHILDREN];

void git_sprite_child_started(int pid) {
    for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++) {
        int empty = 0;
        if (__atomic_compare_exchange_n(&children[i], &empty, pid, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

/* Recorded as -pid: an interrupt passes it by, and it ends on its own. */
void git_sprite_child_left_alone(int pid) { git_sprite_child_started(-pid); }

/* pid as recorded: -pid for a child left alone (so a reused pid, recorded the other way
 * meanwhile, keeps its own entry) */
void git_sprite_child_ended(int pid) {
    for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++) {
        int expected = pid;
        if (__atomic_compare_exchange_n(&children[i], &expected, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

static int left_alone(int group) {
    for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++)
        if (__atomic_load_n(&children[i], __ATOMIC_SEQ_CST) == -group) return 1;
    return 0;
}

/* Opens /proc/<pid><tail> for reading (tail: "/stat", "/environ"), async-signal-safe; -1 when
 * it cannot. pid_text is a /proc entry's name: digits only, far shorter than the buffer. */
static int open_proc_file(const char *pid_text, const char *tail) {
    char path[64] = "/proc/";
    size_t n = 6;
    for (const char *p = pid_text; *p && n < 32; p++) path[n++] = *p;
    for (const char *p = tail; *p && n < sizeof(path) - 1; p++) path[n++] = *p;
    path[n] = 0;
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* The process group of pid when its parent is us and it is in our session (a daemon that
 * left it with setsid is not ours to stop), else 0: parsed from /proc/<pid>/stat
 * ("pid (comm) state ppid pgrp ...", comm may hold spaces and parentheses, so the fields
 * are read after its last ')') with open/read/close only. */
static int child_group(const char *pid_text, int self, int session) {
    int fd = open_proc_file(pid_text, "/stat");
    if (fd < 0) return 0;
    char buf[512];
    ssize_t got = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (got <= 0) return 0;
    buf[got] = 0;
    char *close_paren = 0;
    for (char *p = buf; *p; p++) if (*p == ')') close_paren = p;
    if (!close_paren) return 0;
    /* ") S ppid pgrp session" */
    char *p = close_paren + 1;
    int field = 0, ppid = 0, pgrp = 0, sid = 0;
    while (*p && field < 4) {
        while (*p == ' ') p++;
        field++;
        int value = 0;
        while (*p && *p != ' ') { if (*p >= '0' && *p <= '9') value = value * 10 + (*p - '0'); p++; }
        if (field == 2) ppid = value;
        if (field == 3) pgrp = value;
        if (field == 4) sid = value;
    }
    return ppid == self && sid == session ? pgrp : 0;
}

/* Whether /proc/<pid>/environ holds GIT_SPRITE_FINISHES_ALONE=1, the mark of a child left
 * alone set before it starts: it tells such a child from another before it is recorded (a
 * child not yet past exec has the parent's environment, and stops, before it has done
 * anything). Read with open/read/close only, entry by entry across reads. */
static int finishes_alone(const char *pid_text) {
    static const char mark[] = "GIT_SPRITE_FINISHES_ALONE=1";
    int fd = open_proc_file(pid_text, "/environ");
    if (fd < 0) return 0;
    char buf[1024];
    int matched = 0, found = 0; /* matched: bytes of mark matched so far, -1 after a mismatch */
    ssize_t got;
    while (!found && (got = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] == 0) {
                if (matched == (int)sizeof(mark) - 1) { found = 1; break; }
                matched = 0;
            } else if (matched >= 0) {
                matched = matched < (int)sizeof(mark) - 1 && buf[i] == mark[matched] ? matched + 1 : -1;
            }
        }
    }
    close(fd);
    return found;
}

struct linux_dirent64_min {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

int git_sprite_signal_ignored(int sig) {
    struct sigaction current;
    return sigaction(sig, NULL, &current) == 0 && current.sa_handler == SIG_IGN;
}

static int interrupted;

void git_sprite_start_no_more_children(void) { __atomic_store_n(&interrupted, 1, __ATOMIC_SEQ_CST); }

int git_sprite_interrupted(void) { return __atomic_load_n(&interrupted, __ATOMIC_SEQ_CST); }

void git_sprite_hold_if_interrupted(void) {
    if (!git_sprite_interrupted()) return;
    for (;;) pause();
}

static int unbroken_steps;

void git_sprite_unbroken_begin(sigset_t *saved) {
    sigset_t ending;
    sigemptyset(&ending);
    sigaddset(&ending, SIGINT);
    sigaddset(&ending, SIGTERM);
    sigaddset(&ending, SIGHUP);
    sigaddset(&ending, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &ending, saved);
    __atomic_add_fetch(&unbroken_steps, 1, __ATOMIC_SEQ_CST);
    /* the handler sets the flag, then waits for the count: it sees this step, or this
     * thread sees the flag (sequentially consistent), and then the step does not run */
    if (git_sprite_interrupted()) {
        __atomic_sub_fetch(&unbroken_steps, 1, __ATOMIC_SEQ_CST);
        pthread_sigmask(SIG_SETMASK, saved, 0);
        git_sprite_hold_if_interrupted();
    }
}

void git_sprite_unbroken_end(const sigset_t *saved) {
    __atomic_sub_fetch(&unbroken_steps, 1, __ATOMIC_SEQ_CST);
    pthread_sigmask(SIG_SETMASK, saved, 0);
}

void git_sprite_wait_unbroken(int milliseconds) {
    struct timespec step = {0, 1000 * 1000};
    for (int waited = 0; waited < milliseconds; waited++) {
        if (__atomic_load_n(&unbroken_steps, __ATOMIC_SEQ_CST) <= 0) return;
        nanosleep(&step, 0);
    }
}

static int pager_pid;

void git_sprite_pager_started(int pid) { __atomic_store_n(&pager_pid, pid, __ATOMIC_SEQ_CST); }

void git_sprite_pager_ended(void) { __atomic_store_n(&pager_pid, 0, __ATOMIC_SEQ_CST); }

int git_sprite_wait_for_pager(void) {
    int pid = __atomic_exchange_n(&pager_pid, 0, __ATOMIC_SEQ_CST);
    if (pid <= 0) return 0;
    /* not reaped: the thread that started it waits for it too */
    siginfo_t info;
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {}
    return 1;
}

void git_sprite_signal_children(int sig) {
    for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++) {
        int pid = __atomic_load_n(&children[i], __ATOMIC_SEQ_CST);
        if (pid > 0) {
            kill(-pid, sig);
            kill(pid, sig);
        }
    }
    /* a child started a moment ago may not be recorded yet: every direct child in a group of
     * its own gets the signal too (found in /proc with async-signal-safe calls only) */
    int self = getpid();
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;
    char entries[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, dir, entries, sizeof(entries));
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            struct linux_dirent64_min *d = (struct linux_dirent64_min *)(entries + off);
            off += d->d_reclen;
            if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
            int group = child_group(d->d_name, self, getsid(0));
            if (group > 1 && group != getpgrp() && !left_alone(group) && !finishes_alone(d->d_name))
                kill(-group, sig);
        }
    }
    close(dir);
}

void git_sprite_wait_left_alone(int milliseconds) {
    struct timespec step = {0, 10 * 1000 * 1000};
    for (int waited = 0; waited < milliseconds; waited += 10) {
        int running = 0;
        for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++) {
            int entry = __atomic_load_n(&children[i], __ATOMIC_SEQ_CST);
            if (entry >= 0) continue;
            /* not reaped (WNOWAIT): the thread that started it still waits for its status */
            siginfo_t info;
            info.si_pid = 0;
            if (waitid(P_PID, (id_t)-entry, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0) running = 1;
        }
        if (!running) return;
        nanosleep(&step, 0);
    }
}

/* Before anything else runs: a descriptor 0, 1 or 2 we were started without is /dev/null, so
 * the first socket or file we open never takes its place (the API's connection on fd 2 took
 * every trace and error line as if it were a request); and SIGCHLD at its default, so
 * waitpid reports our children's ends even when we were started with it ignored. */
__attribute__((constructor)) static void git_sprite_sane_start(void) {
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int opened = open("/dev/null", O_RDWR);
            if (opened >= 0 && opened != fd) {
                dup2(opened, fd);
                close(opened);
            }
        }
    }
    signal(SIGCHLD, SIG_DFL);
}

static int forwarding;
static sem_t forwarded;
static pthread_once_t forwarded_made = PTHREAD_ONCE_INIT;
static long long forwarded_at; /* CLOCK_MONOTONIC, ms; 0: none yet */

static void make_forwarded(void) { sem_init(&forwarded, 0, 0); }

static long long monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Turns the SIGINT handler's passing on or off; a Ctrl-C posted as the last forwarding ended
 * is not the next one's. */
static void set_forwarding(int yes) {
    pthread_once(&forwarded_made, make_forwarded);
    if (!yes) __atomic_store_n(&forwarding, 0, __ATOMIC_SEQ_CST);
    while (sem_trywait(&forwarded) == 0) {}
    __atomic_store_n(&forwarded_at, 0, __ATOMIC_SEQ_CST);
    if (yes) __atomic_store_n(&forwarding, 1, __ATOMIC_SEQ_CST);
}

int git_sprite_pass_interrupt(void) {
    if (!__atomic_load_n(&forwarding, __ATOMIC_SEQ_CST)) return 0;
    long long now = monotonic_ms(), none = 0;
    /* one post, whichever thread the two copies of a Ctrl-C land on */
    if (__atomic_compare_exchange_n(&forwarded_at, &none, now, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        sem_post(&forwarded);
        return 1;
    }
    return now - none < 500;
}

static pthread_t forwarder;
static int forwarder_running, forwarder_done;
static void (*forwarder_pass)(void *, int);
static void *forwarder_context;
/* a termination signal to pass (set by its handler before its post; taken by the thread) and
 * the last one passed */
static int termination_pending, termination_passed;

int git_sprite_pass_termination(int sig, int milliseconds) {
    if (!__atomic_load_n(&forwarding, __ATOMIC_SEQ_CST)) return 0;
    __atomic_store_n(&termination_passed, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&termination_pending, sig, __ATOMIC_SEQ_CST);
    sem_post(&forwarded);
    struct timespec step = {0, 5 * 1000000};
    for (int waited = 0; waited < milliseconds; waited += 5) {
        if (__atomic_load_n(&termination_passed, __ATOMIC_SEQ_CST) == sig) break;
        nanosleep(&step, 0);
    }
    return 1;
}

static void *forward_loop(void *unused) {
    (void)unused;
    /* every signal blocked here: no handler runs on this thread */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, 0);
    for (;;) {
        while (sem_wait(&forwarded) != 0 && errno == EINTR) {}
        if (__atomic_load_n(&forwarder_done, __ATOMIC_SEQ_CST)) return 0;
        int sig = __atomic_exchange_n(&termination_pending, 0, __ATOMIC_SEQ_CST);
        forwarder_pass(forwarder_context, sig ? sig : SIGINT);
        if (sig) __atomic_store_n(&termination_passed, sig, __ATOMIC_SEQ_CST);
    }
}

int git_sprite_start_forwarding(void (*pass)(void *, int), void *context) {
    pthread_once(&forwarded_made, make_forwarded);
    if (forwarder_running) return -1;
    forwarder_pass = pass;
    forwarder_context = context;
    __atomic_store_n(&forwarder_done, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&termination_pending, 0, __ATOMIC_SEQ_CST);
    if (pthread_create(&forwarder, 0, forward_loop, 0) != 0) return -1;
    forwarder_running = 1;
    set_forwarding(1);
    return 0;
}

int git_sprite_stop_forwarding(int milliseconds) {
    set_forwarding(0);
    if (!forwarder_running) return 0;
    __atomic_store_n(&forwarder_done, 1, __ATOMIC_SEQ_CST);
    sem_post(&forwarded);
    forwarder_running = 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += milliseconds / 1000;
    until.tv_nsec += (long)(milliseconds % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000;
    }
    if (pthread_timedjoin_np(forwarder, 0, &until) == 0) return 0;
    /* still inside a request (a session kill, which lasts until the command ends): left to
     * end with the process */
    pthread_detach(forwarder);
    return -1;
}

void git_sprite_end_by_interrupt(void) {
    set_forwarding(0);
    kill(getpid(), SIGINT);
}

static volatile sig_atomic_t interrupt_ends = 0;

void git_sprite_set_interrupt_ends(int how) { interrupt_ends = how; }

int git_sprite_interrupt_ends(void) { return interrupt_ends; }

static volatile sig_atomic_t window_fd = -1;

static void on_window_change(int sig) {
    (void)sig;
    int saved = errno;
    int fd = window_fd;
    if (fd >= 0) {
        char byte = 'w';
        (void)!write(fd, &byte, 1);
    }
    errno = saved;
}

int git_sprite_watch_window(int fd) {
    window_fd = fd;
    struct sigaction action;
    action.sa_handler = on_window_change;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(SIGWINCH, &action, NULL);
}

void git_sprite_unwatch_window(void) {
    signal(SIGWINCH, SIG_DFL);
    window_fd = -1;
}

/* Files of ours in the temporary directory (a temporary index can be as large as the work
 * tree), removed by the SIGINT handler, which _exits without running any Swift `defer`. */
#define GIT_SPRITE_MAX_TEMPORARY 32
#define GIT_SPRITE_TEMPORARY_PATH 1024
static char temporary_paths[GIT_SPRITE_MAX_TEMPORARY][GIT_SPRITE_TEMPORARY_PATH];
/* 0 free, 1 being written, 2 a file (or a directory of ours), 3 a directory that is only ever
 * taken away when empty: never unlinked (a symlink in its place, a salvage directory's, is the
 * user's) */
static int temporary_state[GIT_SPRITE_MAX_TEMPORARY];

static void temporary_add(const char *path, int state) {
    size_t n = strlen(path);
    if (n + sizeof(".lock") > GIT_SPRITE_TEMPORARY_PATH) return;
    for (int i = 0; i < GIT_SPRITE_MAX_TEMPORARY; i++) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&temporary_state[i], &expected, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            memcpy(temporary_paths[i], path, n + 1);
            __atomic_store_n(&temporary_state[i], state, __ATOMIC_SEQ_CST);
            return;
        }
    }
}

void git_sprite_temporary_add(const char *path) { temporary_add(path, 2); }

void git_sprite_temporary_add_directory(const char *path) { temporary_add(path, 3); }

void git_sprite_temporary_forget(const char *path) {
    for (int i = 0; i < GIT_SPRITE_MAX_TEMPORARY; i++) {
        int state = __atomic_load_n(&temporary_state[i], __ATOMIC_SEQ_CST);
        if ((state == 2 || state == 3) && strcmp(temporary_paths[i], path) == 0) {
            __atomic_store_n(&temporary_state[i], 0, __ATOMIC_SEQ_CST);
            return;
        }
    }
}

static char private_directory[GIT_SPRITE_TEMPORARY_PATH];
static pthread_mutex_t private_directory_lock = PTHREAD_MUTEX_INITIALIZER;

static void remove_private_directory(void) {
    if (private_directory[0]) rmdir(private_directory);
}

/* Ends the process with our own exit work (stdio flushed, the private directory removed) and
 * none of the libraries' atexit handlers: a thread still inside libcurl or OpenSSL when the
 * command ended (attach's look at what listens, under a stalled request) met OpenSSL's cleanup
 * freeing what it used, and the process died of SIGSEGV (once in CI, TLS tier). */
void git_sprite_exit(int status) {
    /* a signal is ending us (its handler runs on another thread): the command's own end must
     * not overtake it with a status (a push stopped by the handler let the command fail and
     * exit 1 before the handler had passed the signal on and raised it) */
    git_sprite_hold_if_interrupted();
    fflush(NULL);
    pthread_mutex_lock(&private_directory_lock);
    remove_private_directory();
    pthread_mutex_unlock(&private_directory_lock);
    _exit(status);
}

const char *git_sprite_private_directory(const char *temporary) {
    pthread_mutex_lock(&private_directory_lock);
    if (!private_directory[0]) {
        char path[GIT_SPRITE_TEMPORARY_PATH];
        size_t n = strlen(temporary);
        if (n + sizeof("/git-sprite-XXXXXX") <= sizeof(path)) {
            memcpy(path, temporary, n);
            memcpy(path + n, "/git-sprite-XXXXXX", sizeof("/git-sprite-XXXXXX"));
            if (mkdtemp(path)) {
                memcpy(private_directory, path, strlen(path) + 1);
                git_sprite_temporary_add(private_directory);
                atexit(remove_private_directory);
            }
        }
    }
    pthread_mutex_unlock(&private_directory_lock);
    return private_directory[0] ? private_directory : 0;
}

void git_sprite_remove_temporary_files(void) {
    for (int i = 0; i < GIT_SPRITE_MAX_TEMPORARY; i++) {
        if (__atomic_load_n(&temporary_state[i], __ATOMIC_SEQ_CST) != 2) continue;
        unlink(temporary_paths[i]);
        /* and git's lock of it, when git was stopped while it held one (a temporary index) */
        char lock[GIT_SPRITE_TEMPORARY_PATH];
        size_t n = 0;
        for (const char *p = temporary_paths[i]; *p; p++) lock[n++] = *p;
        for (const char *p = ".lock"; *p; p++) lock[n++] = *p;
        lock[n] = 0;
        unlink(lock);
    }
    /* a directory of ours, once what was in it is gone (the relay's, around its socket; an empty
     * salvage directory and its parent): twice, for a parent recorded before its child */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < GIT_SPRITE_MAX_TEMPORARY; i++) {
            int state = __atomic_load_n(&temporary_state[i], __ATOMIC_SEQ_CST);
            if (state == 2 || state == 3) rmdir(temporary_paths[i]);
        }
    }
}

