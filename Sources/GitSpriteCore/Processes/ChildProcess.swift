import CTerminal
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Process {
    /// Starts the process with no signal blocked and returns at once.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and libdispatch's worker
    /// threads block nearly every signal (SIGINT, SIGTERM, SIGHUP, SIGPIPE, …). A `git push`
    /// started from a concurrent shipper would then ignore signals and outlive the command.
    /// Foundation's `Process` does not reset the mask, so it is cleared on the spawning thread
    /// for the moment of the spawn.
    public func runWithSignalsUnblocked() throws {
        var none = sigset_t()
        var previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try run()
    }

    /// Runs the process as a child that stops with us: Foundation puts every child in a
    /// process group of its own, out of reach of the terminal's Ctrl-C, so the child is
    /// recorded for `interruptChildren` until it has exited.
    ///
    /// `leftAlone`: an interrupt passes the child by, and it finishes on its own, after us if
    /// need be. For the short local git commands that write a ref, an index or work tree files:
    /// git removes its lock (`refs/…/x.lock`, `index.lock`) when a signal arrives only once it
    /// has set its handlers, which it does after it has made the lock; Ctrl-C in between left
    /// the lock, and every later `up` failed on it ("Unable to create '….lock': File exists").
    /// Such a child is marked in its environment too (`GIT_SPRITE_FINISHES_ALONE=1`): it is
    /// recorded only once `run()` has returned, and an interrupt in the moment before would
    /// otherwise find it among our unrecorded children and stop it.
    func runAsChild(leftAlone: Bool = false, _ body: () throws -> Void) throws {
        if leftAlone {
            environment = (environment ?? ProcessInfo.processInfo.environment).merging(
                ["GIT_SPRITE_FINISHES_ALONE": "1"]) { $1 }
        }
        try runWithSignalsUnblocked()
        let pid = processIdentifier
        if leftAlone { git_sprite_child_left_alone(pid) } else { git_sprite_child_started(pid) }
        defer { git_sprite_child_ended(leftAlone ? -pid : pid) }
        try body()
        waitUntilExit()
    }
}

/// Passes a signal on to every running child started with `runAsChild` (and its process
/// group); async-signal-safe, for a SIGINT handler.
public func interruptChildren(_ signal: Int32) {
    git_sprite_signal_children(signal)
}

/// Makes Ctrl-C the normal end of the command (`logs -f`): exit 0, nothing said.
public func interruptEndsTheCommand(_ yes: Bool) { git_sprite_set_interrupt_ends(yes ? 1 : 0) }

/// Whether Ctrl-C is the normal end of the command; async-signal-safe.
public func interruptIsTheEnd() -> Bool { git_sprite_interrupt_ends() != 0 }
