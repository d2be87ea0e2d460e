#ifndef SPRITE_LAUNCH_H
#define SPRITE_LAUNCH_H

#include <stdint.h>
#include <time.h>

/*
 * Between sprite-host and the PID 1 of a sprite (`sprite-enter init READY_FD CONTROL_FD`):
 * one message per datagram on a SOCK_SEQPACKET socket, each a launch_header and, for
 * LAUNCH_START, the command after it.
 *
 * host -> PID 1
 *   LAUNCH_START   id, value = argc, count = envc, deadline; then exactly the NUL-terminated
 *                  strings: the directory, argc arguments, envc "NAME=value" entries;
 *                  SCM_RIGHTS: stdin, stdout, stderr.
 *   LAUNCH_SIGNAL  id, value = the signal, sent to the command's process group while it runs.
 * PID 1 -> host
 *   LAUNCH_STARTED id, value = its PID in the sprite.
 *   LAUNCH_FAILED  id, value = errno: nothing was started. ETIMEDOUT: read after its deadline
 *                  (CLOCK_MONOTONIC, in nanoseconds; 0: none). EPERM: PID 1's own limits or
 *                  scheduling were changed from inside the sprite and cannot be put back, so
 *                  what it would start would inherit them (the host starts commands another
 *                  way from then on).
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
    uint64_t deadline;
};

/* CLOCK_MONOTONIC now, in nanoseconds: the clock a deadline is set on by the host and read on
 * by PID 1 (one clock for both: the sprite has no time namespace of its own). */
static inline uint64_t launch_monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The host's side (CSpriteHost/launch.c). */

/* A SOCK_SEQPACKET pair, both ends close-on-exec. 0 or -1 (errno). */
int sprite_launch_pair(int fds[2]);

/* Sends one request without waiting (a full socket is EAGAIN): the header, len bytes of body,
 * and nfds descriptors. 0 or -1 (errno). */
int sprite_launch_send(int sock, const struct launch_header *header, const void *body, unsigned long len,
                       const int *fds, int nfds);

/* Receives one reply, waiting for it. 1 for a reply, 0 once PID 1 has gone, -1 on an error
 * (errno). */
int sprite_launch_receive(int sock, struct launch_header *header);

#endif
