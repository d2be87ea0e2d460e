#define _GNU_SOURCE
#include "git_sprite_terminal.h"
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

int git_sprite_spawn(
    const char *path, char *const argv[], char *const envp[], const char *dir, int in, int out, int err) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return -rc;
    rc = posix_spawnattr_init(&attributes);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return -rc;
    }
    sigset_t none;
    sigemptyset(&none);
    int fds[3] = {in, out, err};
    for (int i = 0; i < 3 && rc == 0; i++) rc = posix_spawn_file_actions_adddup2(&actions, fds[i], i);
    /* every other descriptor closed as the child starts: one another thread opened a moment
     * ago (a pipe, a socket) never leaks into it */
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (rc == 0 && dir) rc = posix_spawn_file_actions_addchdir_np(&actions, dir);
    if (rc == 0) rc = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attributes, 0);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes, &none);
    pid_t pid = 0;
    if (rc == 0) rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -rc;
}

int git_sprite_wait(int pid, int recorded) {
    /* learn of the end without reaping, so the entry goes before the pid can be reused */
    siginfo_t info;
    while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) < 0) {
        if (errno != EINTR) break;
    }
    git_sprite_child_ended(recorded);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
}

int git_sprite_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno; }
