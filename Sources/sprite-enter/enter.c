#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "enter.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static ino_t inode_of(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) die("fstat namespace");
    return st.st_ino;
}

static void join(int fd, int type, const char *what) {
    if (setns(fd, type) != 0) die(what);
}

void join_cgroups(char **cgroups, int n) {
    for (int i = 0; i < n; i++) {
        int fd = open(cgroups[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0) die(cgroups[i]);
        if (write(fd, "0\n", 2) != 2) die(cgroups[i]);
        close(fd);
    }
}

/*
 * The sprite's processes live in a user namespace nested in the one bubblewrap made
 * (--disable-userns: the inner one cannot create more). Every other namespace belongs to
 * the outer one, so the order is: outer user namespace (which gives every capability
 * there, to the host's root or to the unprivileged owner alike), then mount, IPC, UTS,
 * network and PID, then the inner user namespace. Only then do we become the sprite's
 * user and give up every capability for good.
 */
void enter_sprite(unsigned uid, unsigned gid, char **cgroups, int ncgroups) {
    if (geteuid() == 0 && setgroups(0, NULL) != 0) die("setgroups");
    join_cgroups(cgroups, ncgroups);
    int self = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
    if (self < 0) die("/proc/self/ns/user");
    ino_t own = inode_of(self);
    close(self);

    int outer = ioctl(FD_USER, NS_GET_PARENT);
    if (outer >= 0 && inode_of(outer) != own) join(outer, CLONE_NEWUSER, "joining the sprite's user namespace");
    if (outer >= 0) close(outer);
    join(FD_MNT, CLONE_NEWNS, "joining the sprite's mount namespace");
    join(FD_IPC, CLONE_NEWIPC, "joining the sprite's IPC namespace");
    join(FD_UTS, CLONE_NEWUTS, "joining the sprite's UTS namespace");
    join(FD_NET, CLONE_NEWNET, "joining the sprite's network namespace");
    join(FD_PID, CLONE_NEWPID, "joining the sprite's PID namespace");
    /* its cgroup namespace, from its PID 1 as the sprite's own /proc shows it (the cgroups were
     * joined above; it belongs to the outer user namespace, so before the inner one): cgroup paths read inside then name no other sprite */
    int cgroupns = open("/proc/1/ns/cgroup", O_RDONLY | O_CLOEXEC);
    if (cgroupns >= 0) {
        join(cgroupns, CLONE_NEWCGROUP, "joining the sprite's cgroup namespace");
        close(cgroupns);
    }
    if (inode_of(FD_USER) != own) join(FD_USER, CLONE_NEWUSER, "joining the sprite's inner user namespace");

    /* no capability can come back: not from the bounding set, not through exec */
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) die("dropping capabilities");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
    if (setresgid(gid, gid, gid) != 0) die("setresgid");
    if (setresuid(uid, uid, uid) != 0) die("setresuid");
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0) die("capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) die("ambient capabilities");
    umask(022);
    if (chdir("/") != 0) die("chdir /");
    /* this process still holds descriptors the host gave it: nothing in the sprite may trace it */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) die("dumpable");
    apply_syscall_filter();
}
