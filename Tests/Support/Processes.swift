// Built only with the tests: a plain `swift build` (make build, make demo) has no Testing module.
#if canImport(Testing)
    import Foundation
    import Testing

    extension Process {
        /// Whether it ended by SIGINT itself, as git-sprite does after Ctrl-C (a shell shows 130,
        /// and a shell loop around it stops): an exit with 130 is not that.
        public var endedByInterrupt: Bool { terminationReason == .uncaughtSignal && terminationStatus == SIGINT }

        /// How it ended, for a failed expectation's message.
        public var ending: String { "\(terminationReason == .exit ? "exit" : "signal") \(terminationStatus)" }

        /// Waits for the process to end, at most `limit` seconds. Past that the test records an
        /// issue naming `what` and the process (with its group) is killed, so a child that hangs
        /// fails its own test instead of hanging the whole run.
        ///
        /// Start children with `runWithSignalsUnblocked()`: a test runs on a libdispatch worker
        /// thread that may block SIGTERM and SIGINT, and a child inherits that mask, so a plain
        /// `run()` can make a child that `terminate()` or Ctrl-C never reaches.
        public func waitForExit(within limit: Double = 60, _ what: String = "a child process") {
            let deadline = Date().addingTimeInterval(limit)
            while isRunning && Date() < deadline { usleep(10_000) }
            guard isRunning else { return }
            Issue.record("\(what) did not end within \(Int(limit)) s; killed")
            kill(-processIdentifier, SIGKILL)
            kill(processIdentifier, SIGKILL)
            // Foundation reaps a child once every holder of its end of a socket pair has closed it:
            // a daemon the child started (a tmux server) can hold it, and the child is never reaped
            let reaped = Date().addingTimeInterval(10)
            while isRunning && Date() < reaped { usleep(10_000) }
            if isRunning { Issue.record("\(what) was killed but is not reaped: one of its descendants lives on") }
        }
    }
#endif
