#ifndef SPRITE_LAUNCH_H
#define SPRITE_LAUNCH_H

#include <stdint.h>

/*
 * Between sprite-host and the PID 1 of a sprite (`sprite-enter init READY_FD CONTROL_FD`):
 * one message per datagram on a SOCK_SEQPACKET socket, each a launch_header and, for
 * LAUNCH_START, the command after it.
 *
 * host -> PID 1
 *   LAUNCH_START   id, value = argc, count = envc; then NUL-terminated strings: the directory,
 *                  argc arguments, envc "NAME=value" entries; SCM_RIGHTS: stdin, stdout, stderr.
 *   LAUNCH_SIGNAL  id, value = the signal, sent to the command's process group while it runs.
 * PID 1 -> host
 *   LAUNCH_STARTED id, value = its PID in the sprite; SCM_RIGHTS: a pidfd of it (when the kernel
 *                  gives one), from which the host reads its PID as the host sees it.
 *   LAUNCH_FAILED  id, value = errno (nothing was started).
 *   LAUNCH_EXITED  id, value = the wait status; comes after LAUNCH_STARTED, once.
 */

#define LAUNCH_START 1
#define LAUNCH_SIGNAL 2
#define LAUNCH_STARTED 3
#define LAUNCH_FAILED 4
#define LAUNCH_EXITED 5

/* the most a LAUNCH_START may carry after its header; a larger command goes through
 * `sprite-enter run` */
#define LAUNCH_MAX_REQUEST (96 * 1024)

struct launch_header {
    uint32_t kind;
    uint32_t id;
    int32_t value;
    uint32_t count;
};

/* The host's side (CSpriteHost/launch.c). */

/* A SOCK_SEQPACKET pair, both ends close-on-exec. 0 or -1 (errno). */
int sprite_launch_pair(int fds[2]);

/* Sends one request without waiting (a full socket is EAGAIN): the header, len bytes of body,
 * and nfds descriptors. 0 or -1 (errno). */
int sprite_launch_send(int sock, const struct launch_header *header, const void *body, unsigned long len,
                       const int *fds, int nfds);

/* Receives one reply, waiting for it; *fd is a descriptor that came with it (close-on-exec) or
 * -1. 1 for a reply, 0 once PID 1 has gone, -1 on an error (errno). */
int sprite_launch_receive(int sock, struct launch_header *header, int *fd);

/* The PID a pidfd names, as this process sees it (its fdinfo), or -1. */
int sprite_pidfd_pid(int pidfd);

#endif
