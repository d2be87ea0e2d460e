#ifndef SPRITE_ENTER_H
#define SPRITE_ENTER_H

/* sprite-enter: the small, single-threaded program sprite-host uses at every boundary of a
 * sprite. Namespace changes (setns into a user or mount namespace) are only allowed in a
 * single-threaded process, so they cannot happen inside sprite-host itself.
 *
 * Descriptor contract for the modes that enter a sprite (run, fs, listen), set up by the host:
 *   3 user namespace of the sprite's PID 1 (the innermost one; its parent is found with
 *     NS_GET_PARENT)   4 mount   5 PID   6 IPC   7 UTS   8 network
 *   9 (run --pty, listen) a Unix socket on which a descriptor is handed back to the host
 */

#define FD_USER 3
#define FD_MNT 4
#define FD_PID 5
#define FD_IPC 6
#define FD_UTS 7
#define FD_NET 8
#define FD_CONTROL 9

/* Prints "sprite-enter: <what>: <strerror(errno)>" and exits with 125 (a failure of the
 * wrapper itself, distinct from the command's own 126/127). */
void die(const char *what);

/* Joins every namespace of the sprite, then becomes uid/gid inside it with no capability,
 * no way to gain one (no_new_privs, empty bounding set), and the cgroups given (paths of
 * cgroup.procs files, written before anything else). Exits on any failure. */
void enter_sprite(unsigned uid, unsigned gid, char **cgroups, int ncgroups);

/* Writes 0 to each cgroup.procs file given: the caller moves into those cgroups. */
void join_cgroups(char **cgroups, int n);

/* Sends one descriptor and a short text over a Unix socket (SCM_RIGHTS). */
int send_fd(int sock, int fd, const char *text);

/* The filesystem operations of the Sprites API, run inside the sprite as its user. */
int fs_main(int argc, char **argv);

/* launch.c: PID 1 serves the host's launch requests on sock (-1: none) and reaps orphans,
 * forever (the protocol: sprite_launch.h) */
_Noreturn void serve_launches(int sock);

/* filter.c: the system calls no sprite process may make (seccomp) */
void apply_syscall_filter(void);

#endif
