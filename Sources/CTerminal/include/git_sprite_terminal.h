#ifndef GIT_SPRITE_TERMINAL_H
#define GIT_SPRITE_TERMINAL_H

#include <stddef.h>

/* Terminal calls for `git sprite attach` that Swift cannot make directly (variadic ioctl). */

/* The terminal's size in rows and columns; returns 0, or -1 when fd is not a terminal. */
int git_sprite_window_size(int fd, unsigned short *rows, unsigned short *cols);

/* Puts the terminal in raw mode, saving the previous mode into a static slot;
 * git_sprite_restore_terminal puts it back (safe to call twice, and from a signal handler). */
int git_sprite_raw_terminal(int fd);
void git_sprite_restore_terminal(void);
/* While a session runs on this terminal (raw mode, or its output on a terminal): writes the
 * sequences that undo what a full-screen program in the sprite set (tmux's alternate screen,
 * application cursor keys, mouse reports...), for a session that ends without that program's
 * own goodbye: cut by a signal, or by the connection (async-signal-safe). */
void git_sprite_reset_terminal_modes(void);
/* A session's output: begin with the descriptor it goes to (followed only when a terminal),
 * then git_sprite_write_session for each piece, which writes it whole (0, or -1 when the
 * descriptor fails) and follows the alternate screen's switches as they are written, a
 * sequence split across two pieces included, so that the reset leaves that screen only when
 * it is on; end once the session is over. */
void git_sprite_session_output_begin(int fd);
int git_sprite_write_session(int fd, const unsigned char *bytes, size_t count);
void git_sprite_session_output_end(void);

/* While a terminal session runs: every SIGWINCH (the terminal was resized) writes one byte
 * to fd (a non-blocking pipe), so the session learns of it at once instead of polling.
 * git_sprite_unwatch_window puts SIGWINCH back to its default. */
int git_sprite_watch_window(int fd);
void git_sprite_unwatch_window(void);

/* Children that run in process groups of their own (git_sprite_spawn and Foundation's Process
 * put every child in a new group), which the terminal's Ctrl-C does not reach. They are recorded here, and
 * git_sprite_signal_children passes a signal on to each child's whole group; it is
 * async-signal-safe, for a SIGINT handler. Up to 256 children at once. */
void git_sprite_child_started(int pid);
void git_sprite_child_ended(int pid); /* as recorded: -pid for one left alone */
/* A child (started in a group of its own) that git_sprite_signal_children passes by. */
void git_sprite_child_left_alone(int pid);
/* Whether sig is ignored (as `nohup` leaves SIGHUP, and a shell SIGINT for a job in the
 * background): a handler set then would undo the choice of whoever started us. */
int git_sprite_signal_ignored(int sig);
/* For the SIGINT handler, before git_sprite_signal_children: the process is on its way out
 * (the handler waits only for the children left alone), and no child may start from then on
 * (async-signal-safe). */
void git_sprite_start_no_more_children(void);
/* Whether git_sprite_start_no_more_children has run. */
int git_sprite_interrupted(void);
/* Once it has, the calling thread waits here for the process's end, and never returns. */
void git_sprite_hold_if_interrupted(void);

/* Starts path (absolute) with argv and envp (NULL-terminated) in a process group of its own,
 * with in, out and err as its stdin, stdout and stderr and every other descriptor closed,
 * no signal blocked, in dir when not NULL. Returns the pid, or -errno. Not Foundation's
 * Process: that one closes the descriptors it found open a moment before the spawn (so a
 * pipe or socket another thread opens meanwhile leaks into the child, and the child's end can
 * hold another's pipe open), learns of a child's end through a socket its children inherit,
 * and its waitUntilExit waits in steps of 50 ms. */
int git_sprite_spawn(
    const char *path, char *const argv[], char *const envp[], const char *dir, int in, int out, int err);
/* A pipe whose ends close on exec (pipe2 with O_CLOEXEC): 0, or -errno. */
int git_sprite_pipe(int fds[2]);
/* Waits for the child to end: its exit status, or the number of the signal that ended it; -1
 * when pid is no child of ours. Its entry (`recorded`: pid, or -pid for one left alone) is
 * cleared between its end and its reaping, so Ctrl-C never signals a pid reused meanwhile. */
int git_sprite_wait(int pid, int recorded);
/* For the SIGINT handler, before it exits: waits up to `milliseconds` for the children left
 * alone to end (async-signal-safe). Exiting closes our end of their output pipes, and a git
 * that then writes a warning would die of SIGPIPE half-way. */
void git_sprite_wait_left_alone(int milliseconds);

/* A step no signal's handler may cut half-way: libgit2 rewriting `.git/config` through
 * `config.lock` (cut by a handler's exit, the lock stays, and every later git that writes the
 * config fails on it); a child's spawn and its record (a handler that looks for children while
 * the spawn's own child has not yet moved to its own group, and ends the process before the
 * child is recorded, leaves that child running alone). git_sprite_unbroken_begin blocks
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT on the calling thread, so no handler runs on it
 * mid-step, and counts the step; git_sprite_unbroken_end undoes both with the mask it saved.
 * Once the process is on its way out (git_sprite_start_no_more_children) a step does not
 * begin: the thread waits for the end instead. git_sprite_wait_unbroken, for the handlers, waits up to `milliseconds`
 * for the steps under way to end (async-signal-safe). Only so long: a step that takes longer
 * (a config file on a network file system that hangs, or one held up by a lock the thread the
 * handler interrupted holds) is cut as before. */
#include <signal.h>
void git_sprite_unbroken_begin(sigset_t *saved);
void git_sprite_unbroken_end(const sigset_t *saved);
void git_sprite_wait_unbroken(int milliseconds);

/* The pager (`git sprite diff` on a terminal) runs in our own process group, so the terminal's
 * Ctrl-C reaches it too, and `less` takes it as "stop what you are doing", not "quit". A handler
 * that ended us at once gave the shell back the terminal with the pager still on it.
 * git_sprite_pager_started records it; git_sprite_wait_for_pager, for the handlers, waits for
 * it to quit, as git does, and returns 1 when one was running (async-signal-safe). */
void git_sprite_pager_started(int pid);
void git_sprite_pager_ended(void);
int git_sprite_wait_for_pager(void);

/* Files (and directories, once empty) of ours in the temporary directory that
 * git_sprite_remove_temporary_files removes
 * (async-signal-safe, for the SIGINT handler) unless forgotten first. Up to 32 at once. */
void git_sprite_temporary_add(const char *path);
/* A directory removed by the same call only when it is empty: never unlinked, so a symlink
 * found in its place stays. */
void git_sprite_temporary_add_directory(const char *path);
void git_sprite_temporary_forget(const char *path);
void git_sprite_remove_temporary_files(void);
/* This process's own directory in `temporary` (made once, 0700, removed at exit and by
 * git_sprite_remove_temporary_files once empty): files of ours inside it are no one else's to
 * read whatever their mode (git writes a temporary index through a lock made 0644); NULL when
 * it cannot be made. */
const char *git_sprite_private_directory(const char *temporary);
/* exit(status) with our own exit work only (see terminal.c) */
__attribute__((noreturn)) void git_sprite_exit(int status);
void git_sprite_signal_children(int sig);

/* While a command runs in the sprite without a terminal (`git sprite exec`), Ctrl-C is for
 * it. git_sprite_start_forwarding starts a thread (a plain one with every signal blocked; a
 * Foundation Thread woken by a timed wait made every exec slower) that calls
 * `pass(context, SIGINT)` for each Ctrl-C: git_sprite_pass_interrupt, called first by the SIGINT
 * handler, posts it and returns 1, so the handler returns without ending us. The same Ctrl-C
 * reaching us twice (through `git sprite`, git passes on its own SIGINT a moment later) counts
 * once; another one half a second or more after it gets 0, and ends us as usual
 * (async-signal-safe: sem_post). git_sprite_stop_forwarding ends it and waits for the thread
 * up to `milliseconds`: 0 once it has ended, -1 when it is still inside a request (a session
 * kill lasts as long as the command) and was left to end with the process.
 * One at a time: start returns 0, or -1 when one runs already or the thread cannot start.
 * git_sprite_pass_termination, for the handlers of the signals that end us (SIGTERM, SIGHUP,
 * SIGQUIT), has the thread pass `sig` on and waits up to `milliseconds` for it to be sent
 * before the handler goes on to end us; 0 when nothing is being forwarded. The thread calls
 * git_sprite_end_by_interrupt when a Ctrl-C finds nothing to go to (the stream never opened):
 * forwarding off, and SIGINT to us again, which then ends us as usual. */
int git_sprite_pass_interrupt(void);
int git_sprite_pass_termination(int sig, int milliseconds);
int git_sprite_start_forwarding(void (*pass)(void *, int), void *context);
int git_sprite_stop_forwarding(int milliseconds);
void git_sprite_end_by_interrupt(void);

/* What a Ctrl-C that ends us means: 0, the command stopped part way (say so); 1, its normal
 * end (`logs -f`: nothing said); 2, a command in the sprite left (`exec`: said so, as running
 * it again would run the command again). Async-signal-safe to read. */
void git_sprite_set_interrupt_ends(int how);
int git_sprite_interrupt_ends(void);

/* The process's stdio streams, as values: Swift 6 will not read C's global `stdout`/`stderr`
   variables (shared mutable state), though the pointers never change. */
#include <sys/types.h>
/* Sends `count` (1-8) descriptors and `length` bytes of `data` over a connected Unix socket in
 * one message: 0, or -errno. */
int git_sprite_send_fds(int sock, const int *fds, int count, const void *data, size_t length);
/* Receives one message: up to `max` (1-8) descriptors into fds (their count in *got,
 * close-on-exec; any beyond max closed) and up to `length` bytes into data. The byte count,
 * 0 at end of input, or -errno. */
ssize_t git_sprite_recv_fds(int sock, int *fds, int max, int *got, void *data, size_t length);

#include <stdio.h>
static inline FILE *git_sprite_stdout(void) { return stdout; }
static inline FILE *git_sprite_stderr(void) { return stderr; }

#endif
