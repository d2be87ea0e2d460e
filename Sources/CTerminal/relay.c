/* Descriptors passed over a Unix socket (SCM_RIGHTS): git-remote-sprite hands its stdin,
 * stdout and stderr to the `git sprite up` that started its git, which runs the exec over a
 * connection it already holds (HelperRelay). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "git_sprite_terminal.h"

int git_sprite_send_fds(int sock, const int *fds, int count, const void *data, size_t length) {
    if (count < 1 || count > 8 || length == 0) return -EINVAL;
    char control[CMSG_SPACE(8 * sizeof(int))];
    memset(control, 0, sizeof(control));
    struct iovec iov = {.iov_base = (void *)data, .iov_len = length};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
        .msg_controllen = CMSG_SPACE(count * sizeof(int))};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(count * sizeof(int));
    memcpy(CMSG_DATA(cmsg), fds, count * sizeof(int));
    ssize_t sent;
    do {
        sent = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return -errno;
    return sent == (ssize_t)length ? 0 : -EMSGSIZE;
}

ssize_t git_sprite_recv_fds(int sock, int *fds, int max, int *got, void *data, size_t length) {
    *got = 0;
    if (max < 1 || max > 8) return -EINVAL;
    char control[CMSG_SPACE(8 * sizeof(int))];
    memset(control, 0, sizeof(control));
    struct iovec iov = {.iov_base = data, .iov_len = length};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int in = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *passed = (int *)CMSG_DATA(c);
        for (int i = 0; i < in; i++) {
            if (*got < max) {
                fds[(*got)++] = passed[i];
            } else {
                close(passed[i]);
            }
        }
    }
    if (msg.msg_flags & MSG_CTRUNC) {
        for (int i = 0; i < *got; i++) close(fds[i]);
        *got = 0;
        return -EMSGSIZE;
    }
    return n;
}
