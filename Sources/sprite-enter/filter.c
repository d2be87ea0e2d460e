#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "enter.h"

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>

/*
 * The system calls no sprite process may make, each refused with EPERM (docs/security.md says
 * why each one): the kernel's rarely needed surface, in the spirit of Docker's default
 * profile. Everything else is allowed: a sprite is a development machine (compilers,
 * debuggers with ptrace, containers without privileges are all expected to work).
 */
static const char *const denied[] = {
    /* io_uring: a second system-call interface around any filter, and a rich source of bugs */
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    /* the kernel keyring: not namespaced */
    "add_key", "request_key", "keyctl",
    /* eBPF programs and performance counters: kernel attack surface, host-wide data */
    "bpf", "perf_event_open",
    /* page-fault handling in user space: a classic tool for winning kernel races */
    "userfaultfd",
    /* the running kernel and its modules */
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    /* the host's clock */
    "clock_settime", "clock_adjtime", "settimeofday", "adjtimex",
    /* host-wide accounting, swap, quotas, the kernel log */
    "acct", "swapon", "swapoff", "quotactl", "syslog",
    /* file handles name files outside the sandbox's mounts */
    "open_by_handle_at", "name_to_handle_at",
    /* obsolete or host-wide interfaces */
    "lookup_dcookie", "nfsservctl", "uselib", "vhangup", "ustat", "sysfs", "_sysctl",
    "fanotify_init", "iopl", "ioperm",
};

/* Installs the filter in this process (inherited by everything it starts); dies when it
 * cannot: a sprite never runs unfiltered. Needs no_new_privs, which libseccomp sets. */
void apply_syscall_filter(void) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) die("seccomp_init");
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        int nr = seccomp_syscall_resolve_name(denied[i]);
        if (nr == __NR_SCMP_ERROR) continue; /* not a call of this architecture */
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc != 0 && rc != -EDOM) {
            errno = -rc;
            die("seccomp_rule_add");
        }
    }
    int rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        errno = -rc;
        die("seccomp_load");
    }
}
