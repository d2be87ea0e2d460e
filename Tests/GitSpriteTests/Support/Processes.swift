import Foundation
import Testing

extension Process {
    /// Waits for the process to end, at most `limit` seconds. Past that the test records an
    /// issue naming `what` and the process (with its group) is killed, so a child that hangs
    /// fails its own test instead of hanging the whole run.
    ///
    /// Start children with `runWithSignalsUnblocked()`: a test runs on a libdispatch worker
    /// thread that may block SIGTERM and SIGINT, and a child inherits that mask, so a plain
    /// `run()` can make a child that `terminate()` or Ctrl-C never reaches.
    func waitForExit(within limit: Double = 60, _ what: String = "a child process") {
        let deadline = Date().addingTimeInterval(limit)
        while isRunning && Date() < deadline { usleep(10_000) }
        guard isRunning else { return }
        Issue.record("\(what) did not end within \(Int(limit)) s; killed")
        kill(-processIdentifier, SIGKILL)
        kill(processIdentifier, SIGKILL)
        while isRunning { usleep(10_000) }
    }
}
