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
 */

extern char **environ;

#define MAX_CHILDREN 1024
#define MAX_REQUEST (LAUNCH_MAX_REQUEST + 64)

static struct {
    pid_t pid;
    uint32_t id;
} children[MAX_CHILDREN];
static int nchildren;

/* Sends a reply, with one descriptor when fd >= 0. A host that went away is not an error
 * here: the sprite goes with it. */
static void reply(int sock, uint32_t kind, uint32_t id, int32_t value, int fd) {
    struct launch_header h = {.kind = kind, .id = id, .value = value, .count = 0};
    struct iovec iov = {.iov_base = &h, .iov_len = sizeof h};
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
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
    if (nchildren >= MAX_CHILDREN) {
        reply(sock, LAUNCH_FAILED, h->id, EAGAIN, -1);
        return;
    }
    uint32_t argc = (uint32_t)h->value, envc = h->count;
    if (argc < 1 || argc > LAUNCH_MAX_REQUEST / 2 || envc > LAUNCH_MAX_REQUEST / 2) {
        reply(sock, LAUNCH_FAILED, h->id, EINVAL, -1);
        return;
    }
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    char **env = calloc((size_t)envc + 1, sizeof *env);
    char *dir = body, *at = body;
    char *nul = memchr(at, 0, (size_t)(end - at));
    int ok = argv && env && nul && (at = nul + 1, take_strings(&at, end, argc, argv) == 0) &&
             take_strings(&at, end, envc, env) == 0;
    if (!ok) {
        free(argv);
        free(env);
        reply(sock, LAUNCH_FAILED, h->id, EINVAL, -1);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) become_command(fds, dir, argv, env);
    free(argv);
    free(env);
    if (pid < 0) {
        reply(sock, LAUNCH_FAILED, h->id, errno, -1);
        return;
    }
    children[nchildren].pid = pid;
    children[nchildren].id = h->id;
    nchildren++;
    /* a descriptor of the process, from which the host reads its PID as the host sees it */
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    reply(sock, LAUNCH_STARTED, h->id, pid, pidfd);
    if (pidfd >= 0) close(pidfd);
}

static void signal_child(struct launch_header *h) {
    for (int i = 0; i < nchildren; i++) {
        if (children[i].id != h->id) continue;
        /* the command leads its own process group; it is not reaped yet, so its PID is
         * still its own */
        if (h->value > 0 && h->value < 65) kill(-children[i].pid, h->value);
        return;
    }
}

/* Reads one request; returns -1 once the host has gone. */
static int serve_request(int sock) {
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
        if ((size_t)n >= sizeof h) reply(sock, LAUNCH_FAILED, h.id, EMSGSIZE, -1);
    } else if (h.kind == LAUNCH_START && nfds == 3) {
        launch(sock, &h, buf + sizeof h, buf + n, fds);
    } else if (h.kind == LAUNCH_SIGNAL) {
        signal_child(&h);
    } else {
        reply(sock, LAUNCH_FAILED, h.id, EINVAL, -1);
    }
    for (int i = 0; i < nfds; i++) close(fds[i]);
    return 0;
}

/* Reaps every child that ended, reporting those the host started. */
static void reap(int sock) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nchildren; i++) {
            if (children[i].pid != pid) continue;
            if (sock >= 0) reply(sock, LAUNCH_EXITED, children[i].id, status, -1);
            children[i] = children[--nchildren];
            break;
        }
    }
}

_Noreturn void serve_launches(int sock) {
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    for (;;) {
        reap(sock);
        struct pollfd p = {.fd = sock, .events = POLLIN};
        int ready = ppoll(sock >= 0 ? &p : NULL, sock >= 0 ? 1 : 0, NULL, &wait_mask);
        if (ready > 0 && sock >= 0 && serve_request(sock) < 0) {
            /* the host is gone: PID 1 goes on reaping (bubblewrap dies with the host) */
            close(sock);
            sock = -1;
        }
    }
}
