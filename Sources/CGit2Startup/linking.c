// libgit2 without the CA bundle it would never use.
//
// Debian's libgit2 1.5 is built with mbedTLS, and its global initialisation
// (`git_libgit2_init`) parses the system's whole CA bundle
// (/etc/ssl/certs/ca-certificates.crt, ~140 certificates) with mbedTLS's
// constant-time base64 decoder: 4.5-5 ms of every command that opens a
// repository, more than git-sprite's whole start-up. There is no option to skip
// it; the path is compiled in.
//
// git-sprite never asks libgit2 for TLS: it reads repositories through libgit2
// and sends everything that crosses a network through the `git` binary or its
// own libcurl client. So this executable defines the two functions libgit2 calls
// to load certificates, and the dynamic linker binds libgit2's calls to these
// (an executable's definitions come first in symbol lookup). They load nothing.
//
// This fails closed: should anything ever open an HTTPS or SSH-over-TLS stream
// through libgit2 in this process, its trust chain is empty and mbedTLS rejects
// every certificate. It never makes a connection trust what it should not.
//
// Where libgit2 is built with OpenSSL instead, nothing calls these and they are
// inert.

#include <stdatomic.h>

#include "git_sprite_git2_startup.h"

struct mbedtls_x509_crt;

static atomic_int declined;

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path) {
    (void)chain;
    (void)path;
    atomic_fetch_add(&declined, 1);
    return 0;
}

int mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path) {
    (void)chain;
    (void)path;
    atomic_fetch_add(&declined, 1);
    return 0;
}

int git_sprite_ca_loads_declined(void) { return atomic_load(&declined); }
