// libgit2 linked in, without what it would load or parse at every start for network
// access git-sprite never asks of it.
//
// git-sprite reads repositories through libgit2 and sends everything that crosses a network
// through the `git` binary or its own libcurl client. Debian's libgit2.so names 16 libraries
// (mbedTLS, libssh2 and OpenSSL, Kerberos, ...) that the dynamic loader maps and relocates at
// every start: 2.9 ms of a C program that does nothing else, more than `git status` takes.
// The executables link libgit2-dev's static archives instead (Package.swift), so only the
// pages a command touches are read. What it would do at start for that access is declined or replaced here, each failing closed:
//
// * The CA bundle. libgit2's global initialisation (`git_libgit2_init`) parses the system's
//   whole CA bundle (/etc/ssl/certs/ca-certificates.crt, ~140 certificates) with mbedTLS:
//   4.5-5 ms, and the path is compiled in. The link (`--wrap`) sends libgit2's two loading
//   calls to the functions below, which load nothing. Should anything ever open a TLS stream
//   through libgit2 in this process, its trust chain is empty and every certificate is
//   rejected: it never trusts what it should not.
//
// * SSH. libgit2's initialisation starts libssh2, which starts OpenSSL (reading its
//   configuration file): 0.5 ms. git-sprite never opens an SSH transport through libgit2;
//   should one ever be opened here, libssh2 starts itself when its first session is made.
//
// * HAVEGE. Debian builds mbedTLS with MBEDTLS_HAVEGE_C, which registers HAVEGE, an entropy
//   source made of timing jitter, beside the kernel's: its pool of 4 KiB is filled when the
//   entropy context is made and again when it is polled, 0.3 ms of every start (libgit2 seeds
//   its DRBG at initialisation). Its poll here returns bytes from getrandom(2), the kernel's
//   generator, which mbedTLS's platform source reads as well (through /dev/urandom where
//   getrandom is refused, as that source does); its fill never runs. The DRBG is still seeded
//   from the kernel, and only from it (upstream removed HAVEGE in mbedTLS 3). When neither can
//   be read the poll fails, and the seeding with it: GitLibrary then says so.
//
// * Kerberos. libgit2's HTTP transport offers "Negotiate" authentication through GSSAPI, of
//   which Debian ships no static archive. The eight functions it calls are defined below and
//   all fail (GSS_S_FAILURE), so that authentication is never offered; the transport itself
//   is never used by git-sprite.

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>
#include <unistd.h>

#include "git_sprite_git2_startup.h"

// Everything below is for libgit2's archive, bound when the executable is linked, and hidden
// from the dynamic symbol table: a release build exports its own globals (-export-dynamic),
// and libcurl, loaded later, would otherwise bind its own GSSAPI calls (and libgssapi_krb5's
// calls to itself) to these stubs.
#define LINKED_IN __attribute__((visibility("hidden")))

struct mbedtls_x509_crt;

static atomic_int declined;

LINKED_IN int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path) {
    (void)chain;
    (void)path;
    atomic_fetch_add(&declined, 1);
    return 0;
}

LINKED_IN int __wrap_mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path) {
    (void)chain;
    (void)path;
    atomic_fetch_add(&declined, 1);
    return 0;
}

int git_sprite_ca_loads_declined(void) { return atomic_load(&declined); }

static atomic_int entropy_polls;

LINKED_IN void __wrap_mbedtls_havege_init(void *state) { (void)state; }

LINKED_IN int __wrap_mbedtls_havege_poll(void *data, unsigned char *output, size_t len, size_t *olen) {
    (void)data;
    size_t done = 0;
    int urandom = -1;
    while (done < len) {
        ssize_t n = urandom < 0 ? getrandom(output + done, len - done, 0) : read(urandom, output + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && urandom < 0) {
            /* as mbedTLS's platform source does where getrandom is refused (an old kernel, a
             * seccomp profile): the kernel's generator through /dev/urandom */
            urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
            if (urandom >= 0) continue;
        }
        if (n <= 0) {
            if (urandom >= 0) close(urandom);
            return -0x003C; /* MBEDTLS_ERR_ENTROPY_SOURCE_FAILED */
        }
        done += (size_t)n;
    }
    if (urandom >= 0) close(urandom);
    *olen = len;
    atomic_fetch_add(&entropy_polls, 1);
    return 0;
}

int git_sprite_kernel_entropy_polls(void) { return atomic_load(&entropy_polls); }

LINKED_IN int __wrap_libssh2_init(int flags) {
    (void)flags;
    return 0;
}

// GSSAPI (RFC 2744), as much of it as libgit2 names: every call fails.

typedef uint32_t OM_uint32;

typedef struct {
    OM_uint32 length;
    void *elements;
} gss_OID_desc;

#define GSS_S_FAILURE (((OM_uint32)13) << 16)

static gss_OID_desc no_name_type = {0, 0};
LINKED_IN gss_OID_desc *GSS_C_NT_HOSTBASED_SERVICE = &no_name_type;

static OM_uint32 declined_gss(OM_uint32 *minor) {
    if (minor) *minor = 0;
    return GSS_S_FAILURE;
}

LINKED_IN OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void *mechs) {
    (void)mechs;
    return declined_gss(minor);
}

LINKED_IN OM_uint32 gss_release_oid_set(OM_uint32 *minor, void *set) {
    (void)set;
    return declined_gss(minor);
}

LINKED_IN OM_uint32 gss_import_name(OM_uint32 *minor, void *buffer, void *type, void *name) {
    (void)buffer;
    (void)type;
    (void)name;
    return declined_gss(minor);
}

LINKED_IN OM_uint32 gss_release_name(OM_uint32 *minor, void *name) {
    (void)name;
    return declined_gss(minor);
}

LINKED_IN OM_uint32 gss_init_sec_context(
    OM_uint32 *minor, void *credential, void *context, void *target, void *mechanism, OM_uint32 flags,
    OM_uint32 time, void *bindings, void *input, void *actual, void *output, OM_uint32 *returned,
    OM_uint32 *lifetime) {
    (void)credential, (void)context, (void)target, (void)mechanism, (void)flags, (void)time;
    (void)bindings, (void)input, (void)actual, (void)output, (void)returned, (void)lifetime;
    return declined_gss(minor);
}

LINKED_IN OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void *context, void *output) {
    (void)context;
    (void)output;
    return declined_gss(minor);
}

LINKED_IN OM_uint32 gss_release_buffer(OM_uint32 *minor, void *buffer) {
    (void)buffer;
    return declined_gss(minor);
}

LINKED_IN OM_uint32 gss_display_status(
    OM_uint32 *minor, OM_uint32 status, int type, void *mechanism, OM_uint32 *more, void *text) {
    (void)status, (void)type, (void)mechanism, (void)text;
    if (more) *more = 0;
    return declined_gss(minor);
}
