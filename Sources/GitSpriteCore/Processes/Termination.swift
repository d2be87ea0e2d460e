import CTerminal
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM (a job runner cancelling, `timeout`, `kill`), SIGHUP (the terminal closed) and
/// SIGQUIT (Ctrl-\\) end git-sprite as they end any program, by the signal, but first as Ctrl-C
/// does (`windDown`). Nothing is said: whoever sent the signal knows.
public enum Termination {
    /// Sets the handlers (at start, and again by whatever set its own for a while), except for
    /// a signal we were started with ignored: under `nohup` a closed terminal must not end us.
    public static func install() {
        for sig in [SIGTERM, SIGHUP, SIGQUIT] where !ignoredAtStart(sig) {
            signal(sig) { Termination.end(by: $0) }
        }
    }

    /// Whether we were started with `sig` ignored (`nohup` leaves SIGHUP so): a handler set
    /// over it would undo the choice of who started us.
    static func ignoredAtStart(_ sig: Int32) -> Bool {
        git_sprite_signal_ignored(sig) != 0
    }

    /// What every handler that ends us does first (SIGINT's too), async-signal-safe: the
    /// terminal put back, the pager waited for, no child started from then on, the spawns and
    /// writes under way waited for, the running children passed `sig` (each runs in a process
    /// group of its own, where a signal to ours does not reach it: a `git push` went on after
    /// us), those left alone to finish waited for, and our temporary files (a copy of the
    /// index, the relay's directory) removed. SIGPIPE is ignored first: a write
    /// into a pipe whose reader was just stopped (a relay thread answering a `git push` killed
    /// here) must fail, not end the process before its temporary files are gone (an adversarial
    /// review saw 2 runs in 10 leave the relay's directory and exit 141).
    /// Returns whether a pager was on the terminal (waited for until it quit, as git does:
    /// Ctrl-C reaches it too, and `less` does not quit on it); nothing more needs saying then.
    @discardableResult
    public static func windDown(passing sig: Int32) -> Bool {
        // first: from now on the command's own end waits for ours (`Termination.exit`)
        startNoMoreChildren()
        signal(SIGPIPE, SIG_IGN)
        // (a session in raw mode: what the sprite's full-screen program set, then termios)
        git_sprite_reset_terminal_modes()
        restoreTerminal()
        let paged = git_sprite_wait_for_pager() != 0
        // the steps no signal cuts: a spawn and its record (so every child started is found
        // below), a config file libgit2 is rewriting in-process through its lock
        git_sprite_wait_unbroken(2000)
        interruptChildren(sig)
        waitForChildrenLeftAlone(milliseconds: 2000)
        // (after them: a git left alone may be using a temporary file of ours)
        removeTemporaryFiles()
        return paged
    }

    /// Ends the process with `status` once a command is done: stdio flushed and our temporary
    /// directory removed, but no library's exit handlers, which raced threads still inside a
    /// request (`git_sprite_exit`). While a signal ends us, it waits for that instead.
    public static func exit(_ status: Int32) -> Never {
        git_sprite_exit(status)
    }

    /// Ends us by SIGINT, as Ctrl-C does, outside its handler: what the handler does first,
    /// then the signal itself, unblocked on this thread (so that a shell loop around us stops).
    public static func endByInterrupt() -> Never {
        windDown(passing: SIGINT)
        signal(SIGINT, SIG_DFL)
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
        raise(SIGINT)
        _exit(128 + SIGINT)
    }

    /// The handler; async-signal-safe.
    static func end(by sig: Int32) {
        // a command running in the sprite for us (`exec`) ends with us
        passTerminationToTheSprite(sig)
        windDown(passing: sig)
        // blocked while its handler runs: it ends the process as the handler returns
        signal(sig, SIG_DFL)
        raise(sig)
    }
}
