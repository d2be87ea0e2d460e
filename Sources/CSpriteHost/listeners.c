#define _GNU_SOURCE
#include "sprite_host_shim.h"
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#define TCP_LISTEN_STATE 10

struct diag_open {
    int netns;
    int fd;
    int error;
};

/* Runs on a thread of its own: a thread's network namespace is its own, and this one ends
 * right after, so no other thread of the host ever runs in the sprite's namespace. */
static void *open_in_namespace(void *arg) {
    struct diag_open *job = arg;
    if (setns(job->netns, CLONE_NEWNET) != 0) {
        job->error = errno;
        return NULL;
    }
    job->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (job->fd < 0) {
        job->error = errno;
        return NULL;
    }
    /* the kernel answers at once; a second bounds a wait that something went wrong with */
    struct timeval second = {.tv_sec = 1};
    setsockopt(job->fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    return NULL;
}

int sprite_diag_socket(int netns) {
    struct diag_open job = {.netns = netns, .fd = -1, .error = 0};
    /* no signal of the host's is handled on the thread while it is in the sprite's namespace */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, open_in_namespace, &job);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    pthread_join(thread, NULL);
    if (job.fd < 0) errno = job.error;
    return job.fd;
}

int sprite_listeners(int diag, int family, struct sprite_listener *out, int max) {
    static unsigned sequence;
    unsigned seq = __atomic_add_fetch(&sequence, 1, __ATOMIC_RELAXED);
    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
    } ask;
    memset(&ask, 0, sizeof ask);
    ask.header.nlmsg_len = sizeof ask;
    ask.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    ask.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    ask.header.nlmsg_seq = seq;
    ask.request.sdiag_family = (unsigned char)family;
    ask.request.sdiag_protocol = IPPROTO_TCP;
    ask.request.idiag_states = 1u << TCP_LISTEN_STATE;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(diag, &ask, sizeof ask, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -1;
    long buffer[8192 / sizeof(long)];
    int count = 0;
    for (;;) {
        struct sockaddr_nl from;
        struct iovec part = {.iov_base = buffer, .iov_len = sizeof buffer};
        struct msghdr message = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &part, .msg_iovlen = 1};
        ssize_t got = recvmsg(diag, &message, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (got == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (message.msg_flags & MSG_TRUNC) {
            errno = EMSGSIZE;
            return -1;
        }
        /* only the kernel's answers count */
        if (message.msg_namelen < sizeof from || from.nl_pid != 0) continue;
        int left = (int)got;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != seq) continue;
            if (h->nlmsg_type == NLMSG_DONE) {
                /* a dump that failed part way says so here */
                int *error = NLMSG_DATA(h);
                if (h->nlmsg_len >= NLMSG_LENGTH(sizeof *error) && *error < 0) {
                    errno = -*error;
                    return -1;
                }
                return count;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = NLMSG_DATA(h);
                errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error ? -e->error : EPROTO;
                return -1;
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                continue;
            struct inet_diag_msg *m = NLMSG_DATA(h);
            if (m->idiag_state != TCP_LISTEN_STATE) continue;
            /* every listener is counted; those past `max` are not written */
            if (count < max) {
                out[count].port = ntohs(m->id.idiag_sport);
                memcpy(out[count].address, m->id.idiag_src, sizeof out[count].address);
            }
            count++;
        }
    }
}
