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

int sprite_launch_receive(int sock, struct launch_header *header) {
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
    /* PID 1 sends no descriptor: one that came anyway is not kept */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            close(fd);
        }
    }
    if ((size_t)n != sizeof *header) {
        /* PID 1 sends nothing else: a short reply is a broken channel */
        errno = EPROTO;
        return -1;
    }
    return 1;
}
