#define _GNU_SOURCE
#include "sprite_launch.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sprite_launch_pair(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

int sprite_launch_send(int sock, const struct launch_header *header, const void *body, unsigned long len,
                       const int *fds, int nfds) {
    if (nfds < 0 || nfds > 3) {
        errno = EINVAL;
        return -1;
    }
    struct iovec iov[2] = {{.iov_base = (void *)header, .iov_len = sizeof *header},
                           {.iov_base = (void *)body, .iov_len = len}};
    char control[CMSG_SPACE(3 * sizeof(int))];
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = len > 0 ? 2 : 1;
    if (nfds > 0) {
        memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

int sprite_launch_receive(int sock, struct launch_header *header, int *fd) {
    *fd = -1;
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = header, .iov_len = sizeof *header};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return (int)n;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(c), sizeof(int));
    if ((size_t)n != sizeof *header) {
        /* PID 1 sends nothing else: a short reply is a broken channel */
        if (*fd >= 0) close(*fd);
        *fd = -1;
        errno = EPROTO;
        return -1;
    }
    return 1;
}

int sprite_pidfd_pid(int pidfd) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *line = strstr(buf, "\nPid:");
    if (!line) return -1;
    long pid = strtol(line + 5, NULL, 10);
    return pid > 0 ? (int)pid : -1;
}
