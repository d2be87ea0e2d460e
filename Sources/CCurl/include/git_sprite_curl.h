#ifndef GIT_SPRITE_CURL_H
#define GIT_SPRITE_CURL_H

/* libcurl, loaded when first used (dlopen) rather than when git-sprite starts: libcurl brings
 * some thirty libraries of its own (TLS, Kerberos, LDAP, IDN, …) whose loading and relocation
 * were most of the start-up of every command, including those that never call the API
 * (`plan`, `config`, `--version`). Only libcurl's headers are used at build time, for its
 * types and constants; every function Swift calls is one of these, forwarded to libcurl's own.
 * curl_easy_setopt and curl_easy_getinfo are variadic: Swift calls one typed wrapper per
 * argument type instead. */

#include <curl/curl.h>

/* Loads libcurl once (thread-safe); NULL when it is loaded, else what went wrong. */
const char *git_sprite_curl_load(void);

CURLcode git_sprite_curl_global_init(long flags);
CURL *git_sprite_curl_easy_init(void);
void git_sprite_curl_easy_cleanup(CURL *h);
void git_sprite_curl_easy_reset(CURL *h);
CURLcode git_sprite_curl_easy_perform(CURL *h);
const char *git_sprite_curl_easy_strerror(CURLcode code);
CURLcode git_sprite_curl_easy_send(CURL *h, const void *buffer, size_t length, size_t *sent);
CURLcode git_sprite_curl_easy_recv(CURL *h, void *buffer, size_t length, size_t *received);
struct curl_slist *git_sprite_curl_slist_append(struct curl_slist *list, const char *line);
void git_sprite_curl_slist_free_all(struct curl_slist *list);

CURLcode git_sprite_curl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode git_sprite_curl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode git_sprite_curl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode git_sprite_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode git_sprite_curl_setopt_offset(CURL *h, CURLoption o, curl_off_t v);
typedef size_t (*git_sprite_curl_data_cb)(char *, size_t, size_t, void *);
CURLcode git_sprite_curl_setopt_data_cb(CURL *h, CURLoption o, git_sprite_curl_data_cb cb);
CURLcode git_sprite_curl_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode git_sprite_curl_getinfo_socket(CURL *h, CURLINFO i, curl_socket_t *v);
CURLcode git_sprite_curl_getinfo_double(CURL *h, CURLINFO i, double *v);

#endif
