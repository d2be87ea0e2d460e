#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "enter.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <unistd.h>

/*
 * Usage (every mode is internal to sprite-host):
 *   sprite-enter init [READY_FD [CONTROL_FD]]
 *       PID 1 of a sprite's PID namespace: reaps orphans. Signals sent from inside the
 *       sprite cannot stop it (the kernel drops them: it only handles SIGCHLD). Writes
 *       "ready" to READY_FD once it runs: the sandbox is then complete. Starts the sprite's
 *       commands on the host's request over CONTROL_FD (launch.c, sprite_launch.h).
 *   sprite-enter become UID GID [--cgroup FILE]... [--stage DIR [--bind SRC NAME]...] -- PROGRAM [ARG]...
 *       For a host running as root: drop supplementary groups, join the cgroups, become
 *       UID/GID of the host, then exec PROGRAM (bubblewrap, which builds the sandbox).
 *       bubblewrap opens what it mounts with the rights of UID, which may not be allowed
 *       to walk the path to a sprite's directories (a state root under /root): with
 *       --stage, each SRC is first bound, in a mount namespace of this process alone, to
 *       DIR/NAME on a fresh tmpfs at DIR, a path UID can reach.
 *   sprite-enter run [--cgroup FILE]... [--dir DIR] [--pty] -- PROGRAM [ARG]...
 *       Run PROGRAM inside the sprite as uid/gid 1000. With --pty, a terminal of the
 *       sprite's own /dev/pts becomes the controlling terminal and its master goes back
 *       to the host over descriptor 9. Exits with PROGRAM's status (128+N for signal N).
 *   sprite-enter [--cgroup FILE]... fs OP ARG...      (see fs.c)
 *   sprite-enter [--cgroup FILE]... listen PORT
 *       Open a TCP listener on 127.0.0.1:PORT (0: any) in the sprite's network namespace
 *       and hand it to the host over descriptor 9, with the port as text.
 *   sprite-enter [--cgroup FILE]... connect HOST PORT
 *       Connect to HOST:PORT from inside the sprite's network namespace, as the sprite's
 *       user (its loopback and interfaces: never the host's), within 10 seconds, and hand the
 *       connected socket to the host over descriptor 9 with the text "connected"; on failure
 *       send only the text "error: WHY". HOST is an IPv4 or IPv6 literal or "localhost".
 */

#define SPRITE_UID 1000
#define SPRITE_GID 1000
#define MAX_CGROUPS 8

/* fs, listen, connect: the cgroups given before the mode */
static char *helper_cgroups[MAX_CGROUPS];
static int helper_ncgroups;

void die(const char *what) {
    fprintf(stderr, "sprite-enter: %s: %s\n", what, strerror(errno));
    _exit(125);
}

static void usage(void) {
    fprintf(stderr, "usage: sprite-enter init [FD] | become UID GID [--cgroup F]... -- PROG... | "
                    "run [--cgroup F]... [--dir D] [--pty] -- PROG... | [--cgroup F]... fs OP ARG... | listen PORT | "
                    "connect HOST PORT\n");
    _exit(125);
}

static void empty_handler(int sig) { (void)sig; }

_Noreturn static void init_main(int argc, char **argv) {
    int ready = argc > 2 ? atoi(argv[2]) : -1;
    int control = argc > 3 ? atoi(argv[3]) : -1;
    /* PID 1 may not be traced, its memory and environment read, by anything in the sprite */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) die("dumpable");
    apply_syscall_filter();
    if (control <= 2 || fcntl(control, F_SETFD, FD_CLOEXEC) != 0) control = -1;
    if (ready > 2 && fcntl(ready, F_GETFD) >= 0) {
        ssize_t ignored = write(ready, "ready\n", 6);
        (void)ignored;
        close(ready);
    }
    /* nothing else the host or bubblewrap left open stays with PID 1 */
    for (int fd = 3; fd < 1024; fd++)
        if (fd != control) close(fd);
    if (chdir("/") != 0) { /* nothing to do: / always exists */ }
    /* a namespace init only receives signals it has a handler for: SIGCHLD alone */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = empty_handler;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    serve_launches(control);
}

/* Parses "--cgroup F" options until "--" or a non-option; returns the index after them. */
static int parse_common(int argc, char **argv, int i, char **cgroups, int *ncgroups, const char **dir, int *pty) {
    while (i < argc) {
        if (strcmp(argv[i], "--") == 0) return i + 1;
        if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc) {
            if (*ncgroups >= MAX_CGROUPS) usage();
            cgroups[(*ncgroups)++] = argv[i + 1];
            i += 2;
        } else if (dir && strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            *dir = argv[i + 1];
            i += 2;
        } else if (pty && strcmp(argv[i], "--pty") == 0) {
            *pty = 1;
            i += 1;
        } else {
            usage();
        }
    }
    usage();
    return argc;
}

#define MAX_BINDS 16

/* Binds each source under a fresh tmpfs at stage, in a private mount namespace. */
static void stage_binds(const char *stage, char **sources, char **names, int n) {
    if (unshare(CLONE_NEWNS) != 0) die("unshare");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("making mounts private");
    /* the sources are opened first: the tmpfs may hide them (a state root under /tmp) */
    int fds[MAX_BINDS];
    for (int i = 0; i < n; i++) {
        fds[i] = open(sources[i], O_PATH | O_CLOEXEC);
        if (fds[i] < 0) die(sources[i]);
    }
    if (mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) die(stage);
    char target[4096], source[64];
    for (int i = 0; i < n; i++) {
        if (strchr(names[i], '/') || names[i][0] == '.' || !names[i][0]) usage();
        snprintf(target, sizeof target, "%s/%s", stage, names[i]);
        snprintf(source, sizeof source, "/proc/self/fd/%d", fds[i]);
        struct stat st;
        if (fstat(fds[i], &st) != 0) die(sources[i]);
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(target, 0755) != 0) die(target);
        } else {
            int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0) die(target);
            close(fd);
        }
        if (mount(source, target, NULL, MS_BIND, NULL) != 0) die(sources[i]);
        close(fds[i]);
    }
}

static int become_main(int argc, char **argv) {
    if (argc < 5) usage();
    char *end;
    unsigned long uid = strtoul(argv[2], &end, 10);
    if (*end) usage();
    unsigned long gid = strtoul(argv[3], &end, 10);
    if (*end) usage();
    char *cgroups[MAX_CGROUPS], *sources[MAX_BINDS], *names[MAX_BINDS];
    int ncgroups = 0, nbinds = 0, i = 4;
    const char *stage = NULL;
    while (i < argc && strcmp(argv[i], "--") != 0) {
        if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc && ncgroups < MAX_CGROUPS) {
            cgroups[ncgroups++] = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "--stage") == 0 && i + 1 < argc) {
            stage = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "--bind") == 0 && i + 2 < argc && nbinds < MAX_BINDS) {
            sources[nbinds] = argv[i + 1];
            names[nbinds++] = argv[i + 2];
            i += 3;
        } else {
            usage();
        }
    }
    int first = i + 1;
    if (first >= argc || (nbinds > 0 && !stage)) usage();
    if (setgroups(0, NULL) != 0) die("setgroups");
    if (nbinds > 0) stage_binds(stage, sources, names, nbinds);
    join_cgroups(cgroups, ncgroups);
    if (setresgid(gid, gid, gid) != 0) die("setresgid");
    if (setresuid(uid, uid, uid) != 0) die("setresuid");
    execv(argv[first], &argv[first]);
    die(argv[first]);
    return 125;
}

int send_fd(int sock, int fd, const char *text) {
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text) + 1};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Gives the process a terminal of the sprite's own devpts and hands its master to the host. */
static void open_sprite_terminal(void) {
    /* the devpts instance's own ptmx: /dev itself belongs to the sprite, which could replace
     * /dev/ptmx, but not a node of a devpts mount */
    int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) die("/dev/pts/ptmx");
    if (unlockpt(master) != 0) die("unlockpt");
    char name[128];
    if (ptsname_r(master, name, sizeof name) != 0) die("ptsname");
    /* the host spawned us as a session leader without a terminal: this becomes it */
    int slave = open(name, O_RDWR);
    if (slave < 0) die(name);
    if (ioctl(slave, TIOCSCTTY, 0) != 0) die("TIOCSCTTY");
    if (send_fd(FD_CONTROL, master, name) != 0) die("sending the terminal");
    close(master);
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0) die("dup2");
    if (slave > 2) close(slave);
}

static int run_main(int argc, char **argv) {
    char *cgroups[MAX_CGROUPS];
    int ncgroups = 0, pty = 0;
    const char *dir = "/home/sprite";
    int first = parse_common(argc, argv, 2, cgroups, &ncgroups, &dir, &pty);
    if (first >= argc) usage();
    enter_sprite(SPRITE_UID, SPRITE_GID, cgroups, ncgroups);
    if (pty) open_sprite_terminal();
    if (chdir(dir) != 0) die(dir);
    for (int fd = 3; fd < 10; fd++) close(fd);

    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        /* ends with us should we be killed alone (the host kills the whole group anyway) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[first], &argv[first]);
        int code = errno == ENOENT ? 127 : 126;
        fprintf(stderr, "%s: %s\n", argv[first], strerror(errno));
        _exit(code);
    }
    /* the command gets every signal sent to the group; we only wait for it */
    int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGWINCH, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0 && !pty) {
        /* the command alone holds the pipes: the host sees end-of-file when it ends */
        for (int fd = 0; fd < 3; fd++) dup2(devnull, fd);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) die("waitpid");
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

static int listen_main(int argc, char **argv) {
    if (argc != 3) usage();
    char *end;
    unsigned long port = strtoul(argv[2], &end, 10);
    if (*end || port > 65535) usage();
    enter_sprite(SPRITE_UID, SPRITE_GID, helper_cgroups, helper_ncgroups);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) die("socket");
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) != 0) die("bind");
    if (listen(s, 128) != 0) die("listen");
    socklen_t len = sizeof addr;
    if (getsockname(s, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
    char text[16];
    snprintf(text, sizeof text, "%u", (unsigned)ntohs(addr.sin_port));
    if (send_fd(FD_CONTROL, s, text) != 0) die("sending the listener");
    return 0;
}

/* Sends `why` alone (no descriptor) to the host and exits 1. */
_Noreturn static void connect_failed(const char *why) {
    char text[256];
    snprintf(text, sizeof text, "error: %s", why);
    ssize_t ignored = write(FD_CONTROL, text, strlen(text) + 1);
    (void)ignored;
    _exit(1);
}

/* An IPv6 literal, with a zone as getaddrinfo takes one (fe80::1%eth0, fe80::1%2): the
 * interface is looked up in the sprite's network namespace. */
static int ipv6_literal(const char *host, struct sockaddr_in6 *v6) {
    char address[INET6_ADDRSTRLEN];
    const char *zone = strchr(host, '%');
    size_t length = zone ? (size_t)(zone - host) : strlen(host);
    if (length >= sizeof address) return 0;
    memcpy(address, host, length);
    address[length] = 0;
    if (inet_pton(AF_INET6, address, &v6->sin6_addr) != 1) return 0;
    if (!zone) return 1;
    zone++;
    char *end;
    unsigned long index = strtoul(zone, &end, 10);
    if (*zone && !*end && zone[0] != '-' && zone[0] != '+' && index <= 0xffffffffUL) {
        v6->sin6_scope_id = (uint32_t)index;
        return 1;
    }
    v6->sin6_scope_id = if_nametoindex(zone);
    return v6->sin6_scope_id != 0;
}

/* A connection to HOST:PORT (an IP literal), made within 10 s: its descriptor, or -1 and why. */
static int connect_to(const char *host, unsigned long port, const char **why) {
    /* inet_aton takes every IPv4 spelling getaddrinfo's numeric form did (127.1, 0x7f.0.0.1);
     * no resolver code is linked in (this program is static) */
    struct sockaddr_storage addr;
    memset(&addr, 0, sizeof addr);
    socklen_t addrlen;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    /* inet_aton would stop at a space and take what came before it */
    if (strpbrk(host, " \t\n\v\f\r") == NULL && inet_aton(host, &v4->sin_addr)) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((unsigned short)port);
        addrlen = sizeof *v4;
    } else if (ipv6_literal(host, v6)) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((unsigned short)port);
        addrlen = sizeof *v6;
    } else {
        *why = "the host must be an IP address or localhost";
        return -1;
    }
    int s = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
        *why = strerror(errno);
        return -1;
    }
    if (connect(s, (struct sockaddr *)&addr, addrlen) != 0) {
        int err = errno;
        if (err == EINPROGRESS) {
            struct pollfd pfd = {.fd = s, .events = POLLOUT};
            int ready;
            do { ready = poll(&pfd, 1, 10000); } while (ready < 0 && errno == EINTR);
            socklen_t len = sizeof err;
            if (ready == 0) err = ETIMEDOUT;
            else if (ready < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
        if (err != 0) {
            *why = err == ETIMEDOUT ? "timed out" : strerror(err);
            close(s);
            return -1;
        }
    }
    return s;
}

static int connect_main(int argc, char **argv) {
    if (argc != 4) usage();
    char *end;
    unsigned long port = strtoul(argv[3], &end, 10);
    if (*end || port < 1 || port > 65535) usage();
    enter_sprite(SPRITE_UID, SPRITE_GID, helper_cgroups, helper_ncgroups);
    for (int fd = 3; fd < 10; fd++)
        if (fd != FD_CONTROL) close(fd);
    /* literals only: a name would be looked up with the sprite's resolver, which a client
     * has no business steering; localhost is both loopbacks (a service listening on ::1 alone
     * was refused) */
    const char *why = NULL, *first = NULL;
    int localhost = strcmp(argv[2], "localhost") == 0;
    int s = connect_to(localhost ? "127.0.0.1" : argv[2], port, &why);
    if (s < 0 && localhost) {
        first = why;
        s = connect_to("::1", port, &why);
        if (s < 0) why = first;
    }
    if (s < 0) connect_failed(why);
    int flags = fcntl(s, F_GETFL);
    if (flags >= 0) fcntl(s, F_SETFL, flags & ~O_NONBLOCK);
    if (send_fd(FD_CONTROL, s, "connected") != 0) die("sending the connection");
    return 0;
}

int main(int argc, char **argv) {
    /* the sprite's cgroups for fs, listen and connect, which then charge their memory and
     * processes (a listing of a million names) to the sprite, not to the host */
    int shift = 0;
    while (2 + shift < argc && strcmp(argv[1 + shift], "--cgroup") == 0) {
        if (helper_ncgroups >= MAX_CGROUPS) usage();
        helper_cgroups[helper_ncgroups++] = argv[2 + shift];
        shift += 2;
    }
    argc -= shift;
    argv += shift;
    if (argc < 2) usage();
    int helper = strcmp(argv[1], "listen") == 0 || strcmp(argv[1], "connect") == 0 || strcmp(argv[1], "fs") == 0;
    if (shift > 0 && !helper) usage();
    if (strcmp(argv[1], "init") == 0) init_main(argc, argv);
    if (strcmp(argv[1], "become") == 0) return become_main(argc, argv);
    if (strcmp(argv[1], "run") == 0) return run_main(argc, argv);
    if (strcmp(argv[1], "listen") == 0) return listen_main(argc, argv);
    if (strcmp(argv[1], "connect") == 0) return connect_main(argc, argv);
    if (strcmp(argv[1], "fs") == 0) {
        enter_sprite(SPRITE_UID, SPRITE_GID, helper_cgroups, helper_ncgroups);
        for (int fd = 3; fd < 10; fd++) close(fd);
        return fs_main(argc - 2, argv + 2);
    }
    usage();
    return 125;
}
