#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "enter.h"
#include "sprite_launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * PID 1 of a sprite starts the sprite's commands itself, on the host's request: it already is
 * everything a command must be (in every namespace and cgroup of the sprite, its user, no
 * capability, no_new_privs, the system-call filter), so a fork and an exec make a command
 * exactly like one `sprite-enter run` makes, without starting a program outside the sprite,
 * joining eight namespaces and three cgroups, and compiling the filter again each time.
 *
 * Nothing in the sprite can reach this: the socket is PID 1's alone, PID 1 is not dumpable
 * (its descriptors cannot be taken through /proc or ptrace), and the kernel drops every signal
 * sent to it from inside its namespace that it has no handler for (it handles SIGCHLD alone).
 * What a process of the same user can still change in PID 1 (its resource limits, nice value,
 * scheduling policy, CPU affinity, I/O priority) is checked before every start against what it
 * was given, and put back in the command; where it cannot be put back (a hard limit lowered,
 * a nice value raised), PID 1 refuses to start anything more and the host goes back to
 * `sprite-enter run`, whose commands take these from the host.
 */

extern char **environ;

#define MAX_CHILDREN 1024
#define MAX_REQUEST (LAUNCH_MAX_REQUEST + 64)
/* children reaped between two looks at the socket: a storm of orphans cannot hold up a start */
#define REAP_BATCH 64
#define IOPRIO_WHO_PROCESS 1

/* struct sched_attr (linux/sched/types.h), as far as version 1 (utilization clamps) */
struct scheduling {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
};

/* What a process of the sprite's user may change in another one, and what a command inherits. */
struct attributes {
    struct rlimit limits[RLIM_NLIMITS];
    int nice, ioprio;
    struct scheduling scheduling;
    cpu_set_t cpus;
};

/* PID 1's own, as the host started it */
static struct attributes baseline;

static int read_attributes(struct attributes *a) {
    memset(a, 0, sizeof *a);
    for (int r = 0; r < RLIM_NLIMITS; r++)
        if (getrlimit(r, &a->limits[r]) != 0) return -1;
    errno = 0;
    a->nice = getpriority(PRIO_PROCESS, 0);
    if (errno) return -1;
    /* policy, priority, nice, time slice (sched_runtime), utilization clamps: all of it */
    if (syscall(SYS_sched_getattr, 0, &a->scheduling, sizeof a->scheduling, 0) != 0) return -1;
    if (sched_getaffinity(0, sizeof a->cpus, &a->cpus) != 0) return -1;
    a->ioprio = (int)syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
    return a->ioprio < 0 ? -1 : 0;
}

static int same_attributes(const struct attributes *a, const struct attributes *b) {
    return memcmp(a->limits, b->limits, sizeof a->limits) == 0 && a->nice == b->nice &&
           memcmp(&a->scheduling, &b->scheduling, sizeof a->scheduling) == 0 && CPU_EQUAL(&a->cpus, &b->cpus) &&
           a->ioprio == b->ioprio;
}

/* Puts this process's attributes back to the baseline; -1 when some cannot be. */
static int restore_baseline(void) {
    struct attributes now;
    if (read_attributes(&now) != 0) return -1;
    if (same_attributes(&now, &baseline)) return 0;
    for (int r = 0; r < RLIM_NLIMITS; r++)
        if (memcmp(&now.limits[r], &baseline.limits[r], sizeof now.limits[r]) != 0) setrlimit(r, &baseline.limits[r]);
    if (now.nice != baseline.nice) setpriority(PRIO_PROCESS, 0, baseline.nice);
    if (memcmp(&now.scheduling, &baseline.scheduling, sizeof now.scheduling) != 0) {
        struct scheduling wanted = baseline.scheduling;
        wanted.size = sizeof wanted;
        /* the utilization clamps only when they were changed (setting them needs the kernel's
         * support and, for the defaults, their own flags) */
        if (now.scheduling.util_min != wanted.util_min || now.scheduling.util_max != wanted.util_max)
            wanted.flags |= 0x20 | 0x40; /* SCHED_FLAG_UTIL_CLAMP_MIN | _MAX */
        syscall(SYS_sched_setattr, 0, &wanted, 0);
    }
    if (!CPU_EQUAL(&now.cpus, &baseline.cpus)) sched_setaffinity(0, sizeof baseline.cpus, &baseline.cpus);
    if (now.ioprio != baseline.ioprio) syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, baseline.ioprio);
    return read_attributes(&now) == 0 && same_attributes(&now, &baseline) ? 0 : -1;
}

static struct {
    pid_t pid;
    uint32_t id;
} children[MAX_CHILDREN];
static int nchildren;

/* Sends a reply. A host that went away is not an error here: the sprite goes with it. */
static void reply(int sock, uint32_t kind, uint32_t id, int32_t value) {
    struct launch_header h = {.kind = kind, .id = id, .value = value, .count = 0, .deadline = 0};
    while (send(sock, &h, sizeof h, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

/* Splits `count` NUL-terminated strings off the front of [*at, end) into list (NULL-ended). */
static int take_strings(char **at, char *end, uint32_t count, char **list) {
    for (uint32_t i = 0; i < count; i++) {
        char *nul = memchr(*at, 0, (size_t)(end - *at));
        if (!nul) return -1;
        list[i] = *at;
        *at = nul + 1;
    }
    list[count] = NULL;
    return 0;
}

_Noreturn static void become_command(int fds[3], char *dir, char **argv, char **env) {
    setsid();
    /* changed in PID 1 between its check and the fork: the command does not inherit it */
    if (restore_baseline() != 0) {
        dprintf(fds[2], "sprite-enter: the limits or scheduling of the sprite's PID 1 were changed from inside\n");
        _exit(125);
    }
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0) _exit(125);
    /* what PID 1 holds (the socket, the descriptors just received) is close-on-exec */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    umask(022);
    if (chdir(dir) != 0) {
        fprintf(stderr, "sprite-enter: %s: %s\n", dir, strerror(errno));
        _exit(125);
    }
    environ = env; /* execvp searches the command's PATH, not PID 1's */
    execvp(argv[0], argv);
    int code = errno == ENOENT ? 127 : 126;
    fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
    _exit(code);
}

static void launch(int sock, struct launch_header *h, char *body, char *end, int fds[3]) {
    if (h->deadline && launch_monotonic_ns() > h->deadline) {
        /* the host has given up on this one: it must not run */
        reply(sock, LAUNCH_FAILED, h->id, ETIMEDOUT);
        return;
    }
    if (restore_baseline() != 0) {
        reply(sock, LAUNCH_FAILED, h->id, EPERM);
        return;
    }
    if (nchildren >= MAX_CHILDREN) {
        reply(sock, LAUNCH_FAILED, h->id, EAGAIN);
        return;
    }
    uint32_t argc = (uint32_t)h->value, envc = h->count;
    if (argc < 1 || argc > LAUNCH_MAX_REQUEST / 2 || envc > LAUNCH_MAX_REQUEST / 2) {
        reply(sock, LAUNCH_FAILED, h->id, EINVAL);
        return;
    }
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    char **env = calloc((size_t)envc + 1, sizeof *env);
    char *dir = body, *at = body;
    char *nul = memchr(at, 0, (size_t)(end - at));
    /* every string accounted for, nothing left over: a NUL inside one would shift the rest */
    int ok = argv && env && nul && (at = nul + 1, take_strings(&at, end, argc, argv) == 0) &&
             take_strings(&at, end, envc, env) == 0 && at == end;
    if (!ok) {
        free(argv);
        free(env);
        reply(sock, LAUNCH_FAILED, h->id, EINVAL);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) become_command(fds, dir, argv, env);
    int failure = errno;
    free(argv);
    free(env);
    if (pid < 0) {
        reply(sock, LAUNCH_FAILED, h->id, failure);
        return;
    }
    children[nchildren].pid = pid;
    children[nchildren].id = h->id;
    nchildren++;
    reply(sock, LAUNCH_STARTED, h->id, pid);
}

static void signal_child(struct launch_header *h) {
    for (int i = 0; i < nchildren; i++) {
        if (children[i].id != h->id) continue;
        /* the command leads its own process group; it is not reaped yet, so its PID is
         * still its own. Before its setsid() there is no such group yet: the command alone. */
        if (h->value > 0 && h->value < 65 && kill(-children[i].pid, h->value) != 0 && errno == ESRCH)
            kill(children[i].pid, h->value);
        return;
    }
}

/* Reads one request; returns -1 once the host has gone. */
static int serve_request(int sock) {
    /* before anything is received: a soft limit of open files lowered below what a request
     * brings (three descriptors) is put back first */
    (void)restore_baseline();
    static char buf[MAX_REQUEST];
    char control[CMSG_SPACE(3 * sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) return -1;
    int fds[3] = {-1, -1, -1}, nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            if (nfds < 3) fds[nfds++] = fd;
            else close(fd);
        }
    }
    struct launch_header h;
    if ((size_t)n >= sizeof h) memcpy(&h, buf, sizeof h);
    if ((size_t)n < sizeof h || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        if ((size_t)n >= sizeof h) reply(sock, LAUNCH_FAILED, h.id, EMSGSIZE);
    } else if (h.kind == LAUNCH_START && nfds == 3) {
        launch(sock, &h, buf + sizeof h, buf + n, fds);
    } else if (h.kind == LAUNCH_SIGNAL) {
        signal_child(&h);
    } else {
        reply(sock, LAUNCH_FAILED, h.id, EINVAL);
    }
    for (int i = 0; i < nfds; i++) close(fds[i]);
    return 0;
}

/* Reaps up to REAP_BATCH children that ended, reporting those the host started; 1 when there
 * may be more. */
static int reap(int sock) {
    int status;
    pid_t pid;
    for (int n = 0; n < REAP_BATCH; n++) {
        if ((pid = waitpid(-1, &status, WNOHANG)) <= 0) return 0;
        for (int i = 0; i < nchildren; i++) {
            if (children[i].pid != pid) continue;
            if (sock >= 0) reply(sock, LAUNCH_EXITED, children[i].id, status);
            children[i] = children[--nchildren];
            break;
        }
    }
    return 1;
}

_Noreturn void serve_launches(int sock) {
    if (sock >= 0 && read_attributes(&baseline) != 0) {
        /* without them nothing could be checked: the host starts commands another way (it
         * sees the socket close) */
        close(sock);
        sock = -1;
    }
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    for (;;) {
        int more = reap(sock);
        struct pollfd p = {.fd = sock, .events = POLLIN};
        struct timespec now = {0, 0};
        /* with children still to reap, only a look at the socket; else wait for either */
        int ready = ppoll(sock >= 0 ? &p : NULL, sock >= 0 ? 1 : 0, more ? &now : NULL, &wait_mask);
        if (ready > 0 && sock >= 0 && serve_request(sock) < 0) {
            /* the host is gone: PID 1 goes on reaping (bubblewrap dies with the host) */
            close(sock);
            sock = -1;
        }
    }
}
