#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "enter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The filesystem API, performed inside the sprite as its user: every path is resolved by
 * the kernel in the sprite's own mount namespace, so a symlink can only lead where the
 * sprite's user could go anyway, and there is no gap between a check and a use.
 *
 *   fs read PATH                        ok SIZE\n  then the bytes (regular files only)
 *   fs write PATH MODE MKDIR(0|1)       stdin is the content, framed (see copy_framed); ok
 *                                       SIZE\n once written (to a name of its own beside PATH,
 *                                       renamed over it once the input's end frame came; that
 *                                       name said first: writing FULL(0|1) XXXXXX\n)
 *   fs list PATH                        ok dir|file\n  then one record per entry, by name:
 *                                       TYPE SIZE MODE MTIME NAME\0 (TYPE d, f, l or o)
 *   fs delete PATH RECURSIVE(0|1)       ok COUNT\n
 *   fs rename SOURCE DEST               ok\n
 *   fs isdir PATH                       ok\n when PATH is a directory the sprite can enter
 *   fs chmod PATH MODE RECURSIVE(0|1)   ok COUNT\n
 *
 * A failure is one line, err CODE MESSAGE\n, with exit status 1; CODE is one the API uses
 * (ENOENT, EEXIST, ENOTDIR, EISDIR, EACCES, ENOTEMPTY, EINVAL, EIO).
 */

static const char *code_of(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EACCES: case EPERM: case EROFS: return "EACCES";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EINVAL: case EBUSY: case EXDEV: case ELOOP: case ENAMETOOLONG: return "EINVAL";
    default: return "EIO";
    }
}

static int fail(int e, const char *message) {
    printf("err %s %s\n", code_of(e), message ? message : strerror(e));
    fflush(stdout);
    return 1;
}

static int write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static int parse_mode(const char *text, mode_t *mode) {
    char *end;
    unsigned long m = strtoul(text, &end, 8);
    if (*text == 0 || *end || m > 07777) return -1;
    *mode = (mode_t)m;
    return 0;
}

static int fs_read(const char *path) {
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(errno, NULL);
    struct stat st;
    if (fstat(fd, &st) != 0) return fail(errno, NULL);
    if (S_ISDIR(st.st_mode)) return fail(EISDIR, "is a directory");
    if (!S_ISREG(st.st_mode)) return fail(EINVAL, "not a regular file");
    fcntl(fd, F_SETFL, 0);
    printf("ok %lld\n", (long long)st.st_size);
    fflush(stdout);
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (write_all(1, buf, (size_t)n) != 0) return 1;
    }
    return 0;
}

static int mkdir_parents(const char *path) {
    char copy[PATH_MAX];
    if (strlen(path) >= sizeof copy) { errno = ENAMETOOLONG; return -1; }
    strcpy(copy, path);
    char *slash = strrchr(copy, '/');
    if (!slash || slash == copy) return 0;
    *slash = 0;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(copy, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* The name the content is written under until it is whole (beside the target, so that the
 * rename that puts it in place never crosses a filesystem); removed by the handler of the
 * signal that stops a write cut short (the host sends SIGTERM when the request's body fails). */
static char writing[PATH_MAX];

static void drop_partial(int sig) {
    (void)sig;
    if (writing[0]) unlink(writing);
    _exit(1);
}

static int fs_write_in_place(const char *path, mode_t mode);

/* Reads up to n bytes, fewer only at the end of input; -1 on an error. */
static ssize_t read_full(int fd, unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Copies the framed content on stdin to fd: each piece a 4-byte big-endian length and its
 * bytes, the end a length of 0. An input that ends before that end is a write cut short (the
 * host gone, crashed or killed, its pipe closed): EPIPE, never a complete file. Returns 0 or
 * an errno, with the bytes copied in *size. */
static int copy_framed(int fd, long long *size) {
    unsigned char buf[65536];
    *size = 0;
    for (;;) {
        unsigned char head[4];
        ssize_t n = read_full(0, head, 4);
        if (n < 0) return errno;
        if (n < 4) return EPIPE;
        size_t left = ((size_t)head[0] << 24) | ((size_t)head[1] << 16) | ((size_t)head[2] << 8) | head[3];
        if (left == 0) return 0;
        while (left > 0) {
            size_t want = left < sizeof buf ? left : sizeof buf;
            ssize_t got = read_full(0, buf, want);
            if (got < 0) return errno;
            if ((size_t)got < want) return EPIPE;
            if (write_all(fd, (const char *)buf, (size_t)got) != 0) return errno;
            left -= (size_t)got;
            *size += got;
        }
    }
}

static int fs_write(const char *path, const char *mode_text, const char *mkdirs) {
    mode_t mode;
    if (parse_mode(mode_text, &mode) != 0) return fail(EINVAL, "invalid mode");
    if (strcmp(mkdirs, "1") == 0 && mkdir_parents(path) != 0) return fail(errno, NULL);
    struct stat st;
    if (lstat(path, &st) == 0) {
        /* through a symlink the file it names is written, as before, in place; and a file
         * with other names (a hard link) or one the sprite's user may not write: replacing it
         * would split the links, or overwrite what writing into it refuses */
        if (S_ISLNK(st.st_mode)) return fs_write_in_place(path, mode);
        if (S_ISDIR(st.st_mode)) return fail(EISDIR, "is a directory");
        if (!S_ISREG(st.st_mode)) return fail(EINVAL, "not a regular file");
        if (st.st_nlink > 1 || access(path, W_OK) != 0) return fs_write_in_place(path, mode);
    } else if (errno != ENOENT) {
        return fail(errno, NULL);
    }
    /* the content goes to a name of its own and replaces the target only once whole: a write
     * cut short (the client gone) leaves the target as it was, and no reader ever sees half */
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir;
    /* (a name too long to carry the suffix gets a short one: any name NAME_MAX allows can be
     * written) */
    int fits = strlen(base) + sizeof(".sprite-write-XXXXXX") + 1 <= NAME_MAX;
    if (snprintf(writing, sizeof writing, "%.*s.%s.sprite-write-XXXXXX", (int)dir, path, fits ? base : "") >=
        (int)sizeof writing)
        return fail(ENAMETOOLONG, NULL);
    sigset_t held, before;
    sigemptyset(&held);
    sigaddset(&held, SIGTERM);
    sigaddset(&held, SIGINT);
    sigaddset(&held, SIGHUP);
    struct sigaction drop = {.sa_handler = drop_partial, .sa_mask = held};
    sigprocmask(SIG_BLOCK, &held, &before);
    int fd = mkostemp(writing, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        writing[0] = 0;
        sigprocmask(SIG_SETMASK, &before, 0);
        /* a file the sprite's user may write in a directory it may not: in place, as before */
        if ((e == EACCES || e == EPERM || e == EROFS) && access(path, W_OK) == 0) return fs_write_in_place(path, mode);
        return fail(e, e == ENOENT ? "parent directory does not exist" : NULL);
    }
    sigaction(SIGTERM, &drop, 0);
    sigaction(SIGINT, &drop, 0);
    sigaction(SIGHUP, &drop, 0);
    /* the name's random part, for the host to remove the file should this helper be killed
     * outright (no handler runs then): a line before the status line */
    printf("writing %d %s\n", fits, writing + strlen(writing) - 6);
    fflush(stdout);
    /* (whatever mask the helper was started with: these must reach the handler) */
    sigprocmask(SIG_UNBLOCK, &held, 0);
    long long size = 0;
    int e = copy_framed(fd, &size);
    if (!e && fchmod(fd, mode) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    sigprocmask(SIG_BLOCK, &held, 0);
    if (!e && rename(writing, path) != 0) e = errno;
    if (e) unlink(writing);
    writing[0] = 0;
    sigprocmask(SIG_UNBLOCK, &held, 0);
    if (e) return fail(e, e == EPIPE ? "the content was cut short" : NULL);
    printf("ok %lld\n", size);
    return 0;
}

static int fs_write_in_place(const char *path, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, mode);
    if (fd < 0) return fail(errno, errno == ENOENT ? "parent directory does not exist" : NULL);
    struct stat st;
    if (fstat(fd, &st) != 0) return fail(errno, NULL);
    if (S_ISDIR(st.st_mode)) return fail(EISDIR, "is a directory");
    if (!S_ISREG(st.st_mode)) return fail(EINVAL, "not a regular file");
    fcntl(fd, F_SETFL, 0);
    if (ftruncate(fd, 0) != 0) return fail(errno, NULL);
    long long size = 0;
    int e = copy_framed(fd, &size);
    if (e) return fail(e, e == EPIPE ? "the content was cut short" : NULL);
    if (fchmod(fd, mode) != 0) return fail(errno, NULL);
    if (close(fd) != 0) return fail(errno, NULL);
    printf("ok %lld\n", size);
    return 0;
}

static void print_entry(const char *name, const struct stat *st) {
    char type = S_ISDIR(st->st_mode) ? 'd' : S_ISREG(st->st_mode) ? 'f' : S_ISLNK(st->st_mode) ? 'l' : 'o';
    printf("%c %lld %04o %lld %s", type, (long long)st->st_size, (unsigned)(st->st_mode & 07777),
           (long long)st->st_mtim.tv_sec, name);
    putchar(0);
}

static int by_bytes(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

static int skip_dots(const struct dirent *e) { return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0; }

/* Entries come sorted by name (byte order). The sorting happens here, in the sprite's own
 * process and cgroup: a directory of a million names costs the sprite memory, not the host,
 * which only relays the records as they come. */
static int fs_list(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return fail(errno, NULL);
    if (!S_ISDIR(st.st_mode)) {
        printf("ok file\n");
        const char *base = strrchr(path, '/');
        print_entry(base ? base + 1 : path, &st);
        return 0;
    }
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return fail(errno, NULL);
    struct dirent **names;
    int n = scandirat(dfd, ".", &names, skip_dots, by_bytes);
    if (n < 0) {
        int e = errno;
        close(dfd);
        return fail(e, NULL);
    }
    printf("ok dir\n");
    for (int i = 0; i < n; i++) {
        struct stat es;
        if (fstatat(dfd, names[i]->d_name, &es, AT_SYMLINK_NOFOLLOW) == 0) print_entry(names[i]->d_name, &es);
        free(names[i]);
    }
    free(names);
    close(dfd);
    return 0;
}

static long long removed;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    if (rc == 0) removed++;
    return rc == 0 ? 0 : errno;
}

static int fs_delete(const char *path, const char *recursive) {
    struct stat st;
    if (lstat(path, &st) != 0) return fail(errno, NULL);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0) return fail(errno, NULL);
        printf("ok 1\n");
        return 0;
    }
    if (strcmp(recursive, "1") != 0) {
        if (rmdir(path) != 0) return fail(errno == EEXIST ? ENOTEMPTY : errno, errno == ENOTEMPTY || errno == EEXIST ? "directory not empty" : NULL);
        printf("ok 1\n");
        return 0;
    }
    int e = nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    if (e != 0) return fail(e > 0 ? e : errno, NULL);
    printf("ok %lld\n", removed);
    return 0;
}

static mode_t chmod_mode;
static long long changed;

static int chmod_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)ftw;
    if (flag == FTW_SL || S_ISLNK(st->st_mode)) return 0;
    if (chmod(path, chmod_mode) != 0) return errno;
    changed++;
    return 0;
}

static int fs_chmod(const char *path, const char *mode_text, const char *recursive) {
    if (parse_mode(mode_text, &chmod_mode) != 0) return fail(EINVAL, "invalid mode");
    if (strcmp(recursive, "1") != 0) {
        if (chmod(path, chmod_mode) != 0) return fail(errno, NULL);
        printf("ok 1\n");
        return 0;
    }
    struct stat st;
    if (stat(path, &st) != 0) return fail(errno, NULL);
    int e = nftw(path, chmod_one, 32, FTW_PHYS | FTW_MOUNT);
    if (e != 0) return fail(e > 0 ? e : errno, NULL);
    printf("ok %lld\n", changed);
    return 0;
}

int fs_main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[0], "read") == 0) return fs_read(argv[1]);
    if (argc == 4 && strcmp(argv[0], "write") == 0) return fs_write(argv[1], argv[2], argv[3]);
    if (argc == 2 && strcmp(argv[0], "list") == 0) return fs_list(argv[1]);
    if (argc == 2 && strcmp(argv[0], "isdir") == 0) {
        struct stat st;
        if (stat(argv[1], &st) != 0) return fail(errno, NULL);
        if (!S_ISDIR(st.st_mode)) return fail(ENOTDIR, "not a directory");
        printf("ok\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[0], "delete") == 0) return fs_delete(argv[1], argv[2]);
    if (argc == 3 && strcmp(argv[0], "rename") == 0) {
        if (rename(argv[1], argv[2]) != 0) return fail(errno, NULL);
        printf("ok\n");
        return 0;
    }
    if (argc == 4 && strcmp(argv[0], "chmod") == 0) return fs_chmod(argv[1], argv[2], argv[3]);
    return fail(EINVAL, "unknown filesystem operation");
}
