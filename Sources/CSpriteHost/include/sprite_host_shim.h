#ifndef GIT_SPRITE_HOST_SHIM_H
#define GIT_SPRITE_HOST_SHIM_H

#include <sys/types.h>

#include "sprite_launch.h"

/* Process and descriptor primitives for sprite-host that Swift cannot call directly
 * (posix_spawn flags hidden behind _GNU_SOURCE, SCM_RIGHTS, pidfds, variadic ioctl). */

/* Spawns path (PATH is not searched) in a new session with in_fd/out_fd/err_fd as
 * stdin/stdout/stderr, and keep[0..nkeep) as descriptors 3, 4, ... in that order; every
 * other descriptor is closed. The child starts with no signal blocked and default
 * dispositions. Returns 0 and the pid, or an errno value. */
int sprite_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int in_fd, int out_fd, int err_fd, const int *keep, int nkeep, pid_t *pid);

/* Receives one descriptor sent with SCM_RIGHTS and up to len-1 bytes of text (NUL-terminated),
 * waiting at most timeout_ms. Returns the descriptor (close-on-exec), or -1 with errno
 * (ETIMEDOUT, or ECONNRESET when the peer closed without sending one). */
int sprite_recv_fd(int sock, char *text, size_t len, int timeout_ms);

/* accept4(sock, NULL, NULL, SOCK_CLOEXEC). */
int sprite_accept(int sock);

/* A Unix stream socket pair, both ends close-on-exec. */
int sprite_socketpair(int fds[2]);

/* Sets a terminal's window size (TIOCSWINSZ); the foreground group gets SIGWINCH. */
int sprite_set_winsize(int fd, unsigned short rows, unsigned short cols);

/* pipe2(fds, O_CLOEXEC): both ends close on exec, so children only get what they are given. */
int sprite_pipe(int fds[2]);

/* pidfd_open(2) and pidfd_send_signal(2): signal a process without a pid-reuse race. */
int sprite_pidfd_open(pid_t pid);
int sprite_pidfd_signal(int pidfd, int sig);

/* The parent of a user namespace (ioctl NS_GET_PARENT): a new close-on-exec descriptor, or -1. */
int sprite_ns_parent(int fd);

/* Waits until fd is readable or timeout_ms passes: 1 readable, 0 timeout, -1 error. */
int sprite_wait_readable(int fd, int timeout_ms);

/* Waits until fd is writable or timeout_ms passes: 1 writable, 0 timeout, -1 error. */
int sprite_wait_writable(int fd, int timeout_ms);

/* The inode number of an open file (namespaces are told apart by it). */
unsigned long long sprite_inode(int fd);

/* A listening TCP socket, as sock_diag reports it: the port, and the address in network byte
 * order (IPv4 in the first four bytes). */
struct sprite_listener {
    unsigned short port;
    unsigned char address[16];
};

/* A NETLINK_SOCK_DIAG socket made in the network namespace `netns` (by a thread of its own,
 * which alone joins it). Returns a close-on-exec descriptor, or -1 with errno. */
int sprite_diag_socket(int netns);

/* The TCP sockets of `family` (AF_INET or AF_INET6) that listen in the diag socket's network
 * namespace: how many there are (only the first `max` are written to `out`; ask again with
 * room for all when it is more), or -1 with errno. Only the listening table is
 * read, not every connection of the machine (as /proc/net/tcp walks, costing more the more
 * connections the host has). */
int sprite_listeners(int diag, int family, struct sprite_listener *out, int max);

/* epoll for `Readiness` (Swift's Glibc module does not bring it): a close-on-exec epoll
 * descriptor; `fd` watched once (EPOLLONESHOT, with EPOLLRDHUP) for `events` (EPOLLIN 0x1,
 * EPOLLOUT 0x4) under `token`; no longer watched; up to `max` tokens of what is ready, waiting
 * at most `timeout_ms`. Each returns -1 with errno on failure. */
int sprite_epoll_create(void);
int sprite_epoll_watch(int epoll, int fd, unsigned int events, unsigned long long token);
int sprite_epoll_forget(int epoll, int fd);
int sprite_epoll_ready(int epoll, unsigned long long *tokens, int max, int timeout_ms);

#endif
