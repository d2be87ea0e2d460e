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

    /// Starts the process (`runWithSignalsUnblocked`) and waits until it has exited.
    public func runToExit() throws {
        let exited = exitSignal()
        try runWithSignalsUnblocked()
        exited.wait()
    }

    /// A semaphore signalled once the process has exited and its status is known; set before
    /// `run()`. Not `waitUntilExit()` alone: on Linux it runs the thread's run loop in steps of
    /// 50 ms and a child's end does not end a step (the run loop wakes, but no source fired),
    /// so every wait lasted until the next step: a `/bin/true` took 51 ms to run and wait for
    /// against 2 ms this way.
    public func exitSignal() -> DispatchSemaphore {
        let exited = DispatchSemaphore(value: 0)
        onExit { exited.signal() }
        return exited
    }

    /// Runs `action` once the process has exited and its status is known; set before `run()`.
    /// The handler first calls `waitUntilExit()`, which returns at once then: it lets go of the
    /// run loop source through which the process holds itself, and with it the process's
    /// pipes; without it each process kept two descriptors open.
    public func onExit(_ action: @escaping @Sendable () -> Void) {
        terminationHandler = { process in
            process.waitUntilExit()  // lint: allowed here (ended already: returns at once)
            action()
        }
    }
}

/// Ctrl-C: the process is on its way out, and from now on no child starts (a thread about to
/// start one waits for the end instead; one that started a child meanwhile stops it);
/// async-signal-safe, for the SIGINT handler, before `interruptChildren`.
public func startNoMoreChildren() {
    git_sprite_start_no_more_children()
}

/// Passes a signal on to every running child started with `SpawnedChild` (and its process
/// group), and to any other child of ours in a group of its own, except those left alone to
/// finish; async-signal-safe, for a SIGINT handler.
public func interruptChildren(_ signal: Int32) {
    git_sprite_signal_children(signal)
}

/// Waits up to `milliseconds` for the children left alone to finish (async-signal-safe, for
/// the SIGINT handler before it exits: exiting closes our end of their output pipes, and a
/// git that then wrote a warning died of SIGPIPE half-way).
public func waitForChildrenLeftAlone(milliseconds: Int32) {
    git_sprite_wait_left_alone(milliseconds)
}

/// Makes Ctrl-C the normal end of the command (`logs -f`): exit 0, nothing said.
public func interruptEndsTheCommand(_ yes: Bool) { git_sprite_set_interrupt_ends(yes ? 1 : 0) }

/// Makes a Ctrl-C that ends us (`exec`'s second) say that the command in the sprite is left,
/// not "run the command again": that would run it again.
public func interruptLeavesACommandInTheSprite() { git_sprite_set_interrupt_ends(2) }

/// Whether Ctrl-C is the normal end of the command; async-signal-safe.
public func interruptIsTheEnd() -> Bool { git_sprite_interrupt_ends() == 1 }

/// Whether a Ctrl-C that ends us leaves a command in the sprite; async-signal-safe.
public func interruptLeavesACommand() -> Bool { git_sprite_interrupt_ends() == 2 }
