#ifndef GIT_SPRITE_CCURL_SHIM_H
#define GIT_SPRITE_CCURL_SHIM_H

#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic; Swift calls these
 * typed wrappers instead, one per argument type. */

static inline CURLcode git_sprite_curl_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}

static inline CURLcode git_sprite_curl_setopt_string(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}

static inline CURLcode git_sprite_curl_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}

static inline CURLcode git_sprite_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}

static inline CURLcode git_sprite_curl_setopt_offset(CURL *h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}

typedef size_t (*git_sprite_curl_data_cb)(char *, size_t, size_t, void *);

static inline CURLcode git_sprite_curl_setopt_data_cb(CURL *h, CURLoption o, git_sprite_curl_data_cb cb) {
    return curl_easy_setopt(h, o, cb);
}

static inline CURLcode git_sprite_curl_getinfo_long(CURL *h, CURLINFO i, long *v) {
    return curl_easy_getinfo(h, i, v);
}

static inline CURLcode git_sprite_curl_getinfo_socket(CURL *h, CURLINFO i, curl_socket_t *v) {
    return curl_easy_getinfo(h, i, v);
}

static inline CURLcode git_sprite_curl_getinfo_double(CURL *h, CURLINFO i, double *v) {
    return curl_easy_getinfo(h, i, v);
}

#endif
