/* How long joining cgroups takes (bench/RESULTS.md, stop 33): a child forks, writes "0" to
 * each file named (a group's cgroup.procs or, in v1, tasks) and prints the time after each,
 * 20 times, 20 ms apart. Root only.
 * Usage: cc -O2 -o cgroup-join bench/cgroup-join.c &&
 *        mkdir -p /sys/fs/cgroup/{cpu,memory,pids}/bench &&
 *        ./cgroup-join /sys/fs/cgroup/{cpu,memory,pids}/bench/cgroup.procs   (then .../tasks) */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    for (int i = 0; i < 20; i++) {
        pid_t child = fork();
        if (child == 0) {
            double start = now_ms();
            for (int k = 1; k < argc; k++) {
                int fd = open(argv[k], O_WRONLY);
                if (fd < 0 || write(fd, "0\n", 2) != 2) {
                    perror(argv[k]);
                    _exit(1);
                }
                close(fd);
                printf("%.3f ", now_ms() - start);
            }
            printf("ms\n");
            fflush(stdout);
            _exit(0);
        }
        waitpid(child, NULL, 0);
        usleep(20000);
    }
    return 0;
}
