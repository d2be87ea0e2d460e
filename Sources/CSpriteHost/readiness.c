#define _GNU_SOURCE
#include "sprite_host_shim.h"
#include <errno.h>
#include <sys/epoll.h>

int sprite_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int sprite_epoll_watch(int epoll, int fd, unsigned int events, unsigned long long token) {
    struct epoll_event event = {0};
    event.events = events | EPOLLONESHOT | EPOLLRDHUP;
    event.data.u64 = token;
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

int sprite_epoll_forget(int epoll, int fd) { return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, 0); }

int sprite_epoll_ready(int epoll, unsigned long long *tokens, int max, int timeout_ms) {
    struct epoll_event events[128];
    if (max > 128) max = 128;
    int n;
    do {
        n = epoll_wait(epoll, events, max, timeout_ms);
    } while (n < 0 && errno == EINTR);
    for (int i = 0; i < n; i++) tokens[i] = events[i].data.u64;
    return n;
}
