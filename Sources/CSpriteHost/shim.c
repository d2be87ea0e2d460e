#define _GNU_SOURCE
#include "sprite_host_shim.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <linux/nsfs.h>
#include <unistd.h>

int sprite_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int in_fd, int out_fd, int err_fd, const int *keep, int nkeep, pid_t *pid) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    /* kept descriptors first move above every source, so that placing them at 3, 4, ...
     * can never overwrite one that has not been placed yet */
    int base = 3;
    for (int i = 0; i < nkeep; i++) if (keep[i] >= base) base = keep[i] + 1;
    if (in_fd >= base) base = in_fd + 1;
    if (out_fd >= base) base = out_fd + 1;
    if (err_fd >= base) base = err_fd + 1;
    if (base < 3 + nkeep) base = 3 + nkeep;
    for (int i = 0; i < nkeep; i++) posix_spawn_file_actions_adddup2(&fa, keep[i], base + i);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    for (int i = 0; i < nkeep; i++) posix_spawn_file_actions_adddup2(&fa, base + i, 3 + i);
    /* nothing of the host (its listening and client sockets, other sprites' pipes) may leak
     * into a sprite: a child holding a client's socket keeps that connection open forever */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3 + nkeep);
    rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int sprite_recv_fd(int sock, char *text, size_t len, int timeout_ms) {
    int ready = sprite_wait_readable(sock, timeout_ms);
    if (ready == 0) { errno = ETIMEDOUT; return -1; }
    if (ready < 0) return -1;
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {.iov_base = text, .iov_len = len > 0 ? len - 1 : 0};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    if (len > 0) text[n < (ssize_t)len ? n : (ssize_t)len - 1] = 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (n == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
        errno = ECONNRESET;
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

int sprite_accept(int sock) {
    return accept4(sock, NULL, NULL, SOCK_CLOEXEC);
}

int sprite_socketpair(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
}

int sprite_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = rows ? rows : 24;
    ws.ws_col = cols ? cols : 80;
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int sprite_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int sprite_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int sprite_pidfd_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int sprite_ns_parent(int fd) {
    int parent = ioctl(fd, NS_GET_PARENT);
    if (parent >= 0) fcntl(parent, F_SETFD, FD_CLOEXEC);
    return parent;
}

int sprite_wait_readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do { rc = poll(&p, 1, timeout_ms); } while (rc < 0 && errno == EINTR);
    return rc;
}

int sprite_wait_writable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int rc;
    do { rc = poll(&p, 1, timeout_ms); } while (rc < 0 && errno == EINTR);
    return rc;
}

unsigned long long sprite_inode(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return 0;
    return (unsigned long long)st.st_ino;
}
