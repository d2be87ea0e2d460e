import Foundation
import GitSpriteCore
import SpriteSync
import TestSupport
import Testing

/// A child inherits its spawning thread's signal mask, and libdispatch's worker threads (where
/// commands and tests run) block SIGTERM and SIGINT. A child started from such a thread with a
/// plain `run()` never sees `terminate()` or Ctrl-C; one run of the whole suite hung for an
/// hour on exactly that. `runWithSignalsUnblocked()` starts it with nothing blocked.
@Suite("child processes", .offThePool)
struct ChildProcessTests {
    /// The signals blocked in a child started (by `start`) from a thread that blocks
    /// SIGTERM and SIGINT, as a libdispatch worker does.
    static func blockedInChild(_ start: @escaping @Sendable (Process) throws -> Void) throws -> UInt64 {
        let out = Pipe()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/grep")
        p.arguments = ["^SigBlk:", "/proc/self/status"]
        p.standardOutput = out
        let failure = Locked<(any Error)?>(nil)
        let thread = Thread {
            var block = sigset_t()
            sigemptyset(&block)
            sigaddset(&block, SIGTERM)
            sigaddset(&block, SIGINT)
            pthread_sigmask(SIG_BLOCK, &block, nil)
            do { try start(p) } catch { failure.set(error) }
        }
        thread.start()
        let line = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if let error = failure.value { throw error }
        let hex = try #require(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        return try #require(UInt64(hex, radix: 16))
    }

    static let termAndInt = UInt64(1) << (SIGTERM - 1) | UInt64(1) << (SIGINT - 1)

    @Test func aChildStartsWithNoSignalBlockedWhateverItsSpawningThreadBlocks() throws {
        #expect(try Self.blockedInChild { try $0.runWithSignalsUnblocked() } & Self.termAndInt == 0)
    }

    /// What the test above guards against, so it cannot pass by accident: Foundation's own
    /// `run()` hands the thread's mask on.
    @Test func foundationsOwnRunHandsTheThreadsMaskOn() throws {
        let blocked = try Self.blockedInChild { p in try p.run() }  // lint: allowed here, to show the hazard
        #expect(blocked & Self.termAndInt == Self.termAndInt)
    }
}
