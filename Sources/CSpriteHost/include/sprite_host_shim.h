#ifndef GIT_SPRITE_HOST_SHIM_H
#define GIT_SPRITE_HOST_SHIM_H

#include <sys/types.h>

/* Process and terminal primitives for sprite-host that Swift cannot call directly
 * (variadic ioctl, posix_spawn flags hidden behind _GNU_SOURCE). */

/* Spawns argv[0] (PATH is not searched) in a new session with the given descriptors as
 * stdin/stdout/stderr. With open_tty, the child opens tty_path as its controlling terminal
 * and uses it for all three. Returns 0 and the pid, or an errno value. */
int sprite_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int in_fd, int out_fd, int err_fd, const char *tty_path, pid_t *pid);

/* Opens a pseudo-terminal pair master; writes the slave's path. Returns the master fd or -1. */
int sprite_open_pty(char *slave_path, size_t len, unsigned short rows, unsigned short cols);

/* Sets a terminal's window size (TIOCSWINSZ); the foreground group gets SIGWINCH. */
int sprite_set_winsize(int fd, unsigned short rows, unsigned short cols);

/* pipe2(fds, O_CLOEXEC): both ends close on exec, so children only get what they are given. */
int sprite_pipe(int fds[2]);

#endif
