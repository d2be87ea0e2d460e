#include "git_sprite_terminal.h"
#include <sys/ioctl.h>
#include <termios.h>
#include <signal.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;

int git_sprite_window_size(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int git_sprite_raw_terminal(int fd) {
    struct termios raw;
    if (tcgetattr(fd, &saved) != 0) return -1;
    saved_fd = fd;
    raw = saved;
    cfmakeraw(&raw);
    return tcsetattr(fd, TCSAFLUSH, &raw);
}

void git_sprite_restore_terminal(void) {
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSAFLUSH, &saved);
        saved_fd = -1;
    }
}

#define GIT_SPRITE_MAX_CHILDREN 256
static int children[GIT_SPRITE_MAX_CHILDREN];

void git_sprite_child_started(int pid) {
    for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++) {
        int empty = 0;
        if (__atomic_compare_exchange_n(&children[i], &empty, pid, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

void git_sprite_child_ended(int pid) {
    for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++) {
        int expected = pid;
        if (__atomic_compare_exchange_n(&children[i], &expected, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
    }
}

void git_sprite_signal_children(int sig) {
    for (int i = 0; i < GIT_SPRITE_MAX_CHILDREN; i++) {
        int pid = __atomic_load_n(&children[i], __ATOMIC_SEQ_CST);
        if (pid > 0) {
            kill(-pid, sig);
            kill(pid, sig);
        }
    }
}

static volatile sig_atomic_t interrupt_ends = 0;

void git_sprite_set_interrupt_ends(int yes) { interrupt_ends = yes ? 1 : 0; }

int git_sprite_interrupt_ends(void) { return interrupt_ends; }
