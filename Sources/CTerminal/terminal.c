#include "git_sprite_terminal.h"
#include <sys/ioctl.h>
#include <termios.h>
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
