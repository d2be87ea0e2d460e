#include "git_sprite_curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

/* libcurl's functions, resolved once from the libcurl.so.4 the build was made against. */
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_send)(CURL *, const void *, size_t, size_t *);
    CURLcode (*easy_recv)(CURL *, void *, size_t, size_t *);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure;
static char failure_text[512];

#define RESOLVE(field, symbol)                                                                  \
    do {                                                                                        \
        void *address = dlsym(library, symbol);                                                 \
        if (address == NULL) {                                                                  \
            snprintf(failure_text, sizeof failure_text, "libcurl.so.4 has no %s", symbol);     \
            failure = failure_text;                                                             \
            return;                                                                             \
        }                                                                                       \
        *(void **)&fn.field = address;                                                          \
    } while (0)

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(failure_text, sizeof failure_text, "%s", why ? why : "dlopen(libcurl.so.4) failed");
        failure = failure_text;
        return;
    }
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_reset, "curl_easy_reset");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(easy_send, "curl_easy_send");
    RESOLVE(easy_recv, "curl_easy_recv");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
}

const char *git_sprite_curl_load(void) {
    pthread_once(&once, load);
    return failure;
}

/* Only git_sprite_curl_global_init and git_sprite_curl_easy_init can come first: every other
 * call takes a handle or list they made, so libcurl is loaded by then. */
CURLcode git_sprite_curl_global_init(long flags) {
    return git_sprite_curl_load() ? CURLE_FAILED_INIT : fn.global_init(flags);
}
CURL *git_sprite_curl_easy_init(void) { return git_sprite_curl_load() ? NULL : fn.easy_init(); }
void git_sprite_curl_easy_cleanup(CURL *h) { fn.easy_cleanup(h); }
void git_sprite_curl_easy_reset(CURL *h) { fn.easy_reset(h); }
CURLcode git_sprite_curl_easy_perform(CURL *h) { return fn.easy_perform(h); }
const char *git_sprite_curl_easy_strerror(CURLcode code) {
    return git_sprite_curl_load() ? failure : fn.easy_strerror(code);
}
CURLcode git_sprite_curl_easy_send(CURL *h, const void *buffer, size_t length, size_t *sent) {
    return fn.easy_send(h, buffer, length, sent);
}
CURLcode git_sprite_curl_easy_recv(CURL *h, void *buffer, size_t length, size_t *received) {
    return fn.easy_recv(h, buffer, length, received);
}
struct curl_slist *git_sprite_curl_slist_append(struct curl_slist *list, const char *line) {
    return git_sprite_curl_load() ? NULL : fn.slist_append(list, line);
}
void git_sprite_curl_slist_free_all(struct curl_slist *list) {
    if (list != NULL) fn.slist_free_all(list);
}

CURLcode git_sprite_curl_setopt_long(CURL *h, CURLoption o, long v) { return fn.easy_setopt(h, o, v); }
CURLcode git_sprite_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return fn.easy_setopt(h, o, v); }
CURLcode git_sprite_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return fn.easy_setopt(h, o, v); }
CURLcode git_sprite_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return fn.easy_setopt(h, o, v);
}
CURLcode git_sprite_curl_setopt_offset(CURL *h, CURLoption o, curl_off_t v) { return fn.easy_setopt(h, o, v); }
CURLcode git_sprite_curl_setopt_data_cb(CURL *h, CURLoption o, git_sprite_curl_data_cb cb) {
    return fn.easy_setopt(h, o, cb);
}
CURLcode git_sprite_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return fn.easy_getinfo(h, i, v); }
CURLcode git_sprite_curl_getinfo_socket(CURL *h, CURLINFO i, curl_socket_t *v) { return fn.easy_getinfo(h, i, v); }
CURLcode git_sprite_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return fn.easy_getinfo(h, i, v); }
