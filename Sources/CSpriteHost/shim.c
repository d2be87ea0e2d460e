#define _GNU_SOURCE
#include "sprite_host_shim.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int sprite_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                 int in_fd, int out_fd, int err_fd, const char *tty_path, pid_t *pid) {
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
    if (tty_path) {
        /* after setsid, the first terminal a session leader opens becomes its controlling tty */
        posix_spawn_file_actions_addopen(&fa, 0, tty_path, O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, 0, 1);
        posix_spawn_file_actions_adddup2(&fa, 0, 2);
    } else {
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
        posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    }
    /* nothing of the host (its listening and client sockets, other sprites' pipes) may leak
     * into a sprite: a child holding a client's socket keeps that connection open forever */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int sprite_open_pty(char *slave_path, size_t len, unsigned short rows, unsigned short cols) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return -1;
    if (grantpt(master) != 0 || unlockpt(master) != 0 || ptsname_r(master, slave_path, len) != 0) {
        close(master);
        return -1;
    }
    sprite_set_winsize(master, rows, cols);
    return master;
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
