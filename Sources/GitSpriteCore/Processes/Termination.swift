import CTerminal
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM (a job runner cancelling, `timeout`, `kill`), SIGHUP (the terminal closed) and
/// SIGQUIT (Ctrl-\\) end
/// git-sprite as they end any program, by the signal, but first as Ctrl-C does: the terminal
/// put back, no child started from then on, the running ones passed the signal (each runs in a
/// process group of its own, where neither signal reaches it: a `git push` went on after us),
/// those left alone to finish waited for, and our temporary files (a copy of the index)
/// removed. Nothing is said: whoever sent the signal knows.
public enum Termination {
    /// Sets the handlers (at start, and again by whatever set its own for a while), except for
    /// a signal we were started with ignored: under `nohup` a closed terminal must not end us.
    public static func install() {
        for sig in [SIGTERM, SIGHUP, SIGQUIT] where !ignoredAtStart(sig) {
            signal(sig) { Termination.end(by: $0) }
        }
    }

    /// Whether we were started with `sig` ignored (`nohup`; a shell's job in the background
    /// has SIGINT ignored): a handler set over it would undo the choice of who started us.
    public static func ignoredAtStart(_ sig: Int32) -> Bool {
        git_sprite_signal_ignored(sig) != 0
    }

    /// First in every handler that ends us: a write into a pipe whose reader the handler has
    /// just stopped (a relay thread answering a `git push` it killed) must fail, not end the
    /// process by SIGPIPE before its temporary files are gone (an adversarial review saw 2 runs
    /// in 10 leave the relay's directory and exit 141). Async-signal-safe.
    public static func endingQuietly() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// The handler; async-signal-safe.
    static func end(by sig: Int32) {
        endingQuietly()
        restoreTerminal()
        startNoMoreChildren()
        interruptChildren(sig)
        waitForChildrenLeftAlone(milliseconds: 2000)
        removeTemporaryFiles()
        // blocked while its handler runs: it ends the process as the handler returns
        signal(sig, SIG_DFL)
        raise(sig)
    }
}
