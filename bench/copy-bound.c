// The copy bound of `git sprite exec -- cat`: the same path for the bytes (stdin pipe, a TCP
// socket on loopback, the command's stdin and stdout pipes, the socket back, stdout) with
// nothing else: no WebSocket framing, no masking, no event loop, a plain read/write relay with
// a thread per direction. What it reaches is the most any relay of that shape can reach here.
//
//   copy-bound serve PORT [CMD…] accepts one connection and relays it through CMD (`cat`)
//   copy-bound connect PORT      relays stdin to the connection and the connection to stdout
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { chunk = 256 * 1024 };

struct pair { int from, to, shut; };

static void *relay(void *arg) {
    struct pair *p = arg;
    char *buffer = malloc(chunk);
    for (;;) {
        ssize_t n = read(p->from, buffer, chunk);
        if (n <= 0) break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(p->to, buffer + done, (size_t)(n - done));
            if (w <= 0) goto out;
            done += w;
        }
    }
out:
    if (p->shut) shutdown(p->to, SHUT_WR); else close(p->to);
    free(buffer);
    return NULL;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: copy-bound serve PORT [COMMAND ARG…] | copy-bound connect PORT\n");
        return 64;
    }
    int port = atoi(argv[2]);
    struct sockaddr_in a = loopback(port);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    pthread_t t1, t2;
    if (strcmp(argv[1], "serve") == 0) {
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 1) != 0) return perror("listen"), 1;
        int c = accept(s, NULL, NULL);
        int in[2], out[2];
        if (pipe(in) != 0 || pipe(out) != 0) return perror("pipe"), 1;
        pid_t pid = fork();
        if (pid == 0) {
            dup2(in[0], 0), dup2(out[1], 1);
            close(in[0]), close(in[1]), close(out[0]), close(out[1]);
            if (argc > 3) execvp(argv[3], argv + 3); else execlp("cat", "cat", (char *)NULL);
            _exit(127);
        }
        close(in[0]), close(out[1]);
        struct pair down = {c, in[1], 0}, up = {out[0], c, 1};
        pthread_create(&t1, NULL, relay, &down);
        pthread_create(&t2, NULL, relay, &up);
        pthread_join(t1, NULL), pthread_join(t2, NULL);
        waitpid(pid, NULL, 0);
        return 0;
    }
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) return perror("connect"), 1;
    struct pair down = {0, s, 1}, up = {s, 1, 0};
    pthread_create(&t1, NULL, relay, &down);
    pthread_create(&t2, NULL, relay, &up);
    pthread_join(t1, NULL), pthread_join(t2, NULL);
    return 0;
}
