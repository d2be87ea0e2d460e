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
    /// A process waited for through `exitSignal()` lets its pipes go: Foundation's process
    /// holds itself (and so its pipes) through a run loop source only `waitUntilExit()` lets
    /// go, and the fault matrix reached a thousand open descriptors without it.
    @Test func aProcessWaitedForThroughItsExitSignalLeavesNoDescriptorOpen() throws {
        let before = openDescriptors()
        for _ in 0..<50 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/true")
            let out = Pipe(), err = Pipe()
            (p.standardOutput, p.standardError) = (out, err)
            let exited = p.exitSignal()
            try p.runWithSignalsUnblocked()
            _ = out.fileHandleForReading.readDataToEndOfFile()
            _ = err.fileHandleForReading.readDataToEndOfFile()
            exited.wait()
        }
        // the handler lets go on a thread of its own, a moment after the signal
        #expect(
            eventually(seconds: 10) { openDescriptors() < before + 50 },
            "\(openDescriptors() - before) more descriptors open")
    }

    @Test func foundationsOwnRunHandsTheThreadsMaskOn() throws {
        let blocked = try Self.blockedInChild { p in try p.run() }  // lint: allowed here, to show the hazard
        #expect(blocked & Self.termAndInt == Self.termAndInt)
    }
}

/// Ctrl-C passes a child left alone by (`SpawnedChild.start(leftAlone:)`) even in the moment before it
/// is recorded, when the interrupt looks for our unrecorded children in /proc: the child's
/// environment marks it. (SIGWINCH stands in for SIGINT: the other tests' children, which the
/// call reaches too, ignore it.)
@Suite("Ctrl-C and children not yet recorded", .offThePool)
struct UnrecordedChildTests {
    /// A shell that says `ready`, then `signalled` for each SIGWINCH, until SIGUSR1 ends it.
    static let script = """
        trap 'echo signalled' WINCH; trap 'done=1' USR1; echo ready
        while [ -z "$done" ]; do sleep 1 & wait $!; done
        """

    @Test func aChildMarkedToFinishAloneIsPassedByAndAnyOtherIsSignalled() throws {
        var children: [(process: Process, out: FileHandle)] = []
        for marked in [true, false] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", Self.script]
            if marked { p.environment = ["GIT_SPRITE_FINISHES_ALONE": "1", "PATH": "/usr/bin:/bin"] }
            let out = Pipe()
            p.standardOutput = out
            try p.runWithSignalsUnblocked()  // not recorded: the moment before SpawnedChild records it
            children.append((p, out.fileHandleForReading))
        }
        defer { for child in children where child.process.isRunning { child.process.terminate() } }
        for child in children {
            #expect(String(decoding: child.out.availableData, as: UTF8.self).hasPrefix("ready"))
        }
        interruptChildren(SIGWINCH)
        // SIGUSR1 after the interrupt: each shell runs the traps of every signal it has
        // received before it ends
        for child in children { kill(child.process.processIdentifier, SIGUSR1) }
        let said = children.map { String(decoding: $0.out.readDataToEndOfFile(), as: UTF8.self) }
        #expect(!said[0].contains("signalled"), "the child left alone was signalled")
        #expect(said[1].contains("signalled"), "the unmarked child was passed by")
    }
}

/// Programs git-sprite starts by name (git above all) are found on the child's PATH and
/// started directly, as `execvp` would, instead of through `env`: one process start fewer each.
@Suite("finding a program on PATH")
struct ExecutableSearchTests {
    @Test func theFirstExecutableFileOnAbsoluteEntriesWinsAndOthersArePassedOver() throws {
        let s = try Sandbox()
        for dir in ["a", "b", "c", "d"] {
            try FileManager.default.createDirectory(atPath: s.path(dir), withIntermediateDirectories: true)
        }
        try s.write("a/tool", "not executable\n")
        try FileManager.default.createDirectory(atPath: s.path("b/tool"), withIntermediateDirectories: true)
        let found = try s.writeExecutable("c/tool", "#!/bin/sh\n")
        _ = try s.writeExecutable("d/tool", "#!/bin/sh\n")
        let path = [s.path("a"), s.path("b"), "", "relative", s.path("c"), s.path("d")].joined(separator: ":")
        #expect(ExecutableSearch.find("tool", path: path) == found)
        #expect(ExecutableSearch.find("absent", path: path) == nil)
        #expect(ExecutableSearch.find("c/tool", path: s.root) == nil, "a name with a slash is not looked up")
        #expect(ExecutableSearch.find("", path: path) == nil)
        // not found: env runs it, and fails as a shell would
        let p = Process()
        p.setProgram("absent", ["x"], path: path)
        #expect(p.executableURL?.path == "/usr/bin/env" && p.arguments == ["--", "absent", "x"])
        p.setProgram("tool", ["x"], path: path)
        #expect(p.executableURL?.path == found && p.arguments == ["x"])
    }
}

/// Children started with posix_spawn (`SpawnedChild`): every descriptor but stdin, stdout and
/// stderr closed as the child starts, whatever the parent holds open; statuses as
/// Foundation's `Process` gives them.
@Suite("spawned children")
struct SpawnedChildTests {
    @Test func aDescriptorOpenHereWithoutCloseOnExecNeverReachesTheChild() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)  // no O_CLOEXEC: as a pipe another thread makes for its own child
        defer { for fd in fds { close(fd) } }
        let r = try SpawnedChild.capture(
            "sh", ["-c", "ls /proc/$$/fd"], environment: ["PATH": "/usr/bin:/bin"], directory: "/")
        let open = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").sorted()
        #expect(r.status == 0)
        #expect(open == ["0", "1", "2"], "the child holds \(open)")
    }

    @Test func childrenLeaveNoDescriptorOpenHere() throws {
        let before = openDescriptors()
        for _ in 0..<200 {
            _ = try SpawnedChild.capture("true", [], environment: ["PATH": "/usr/bin:/bin"], directory: nil)
        }
        // other tests of this process open and close descriptors meanwhile (93 more at one
        // moment of a full run): a leak is at least 200, and stays
        #expect(
            eventually(seconds: 10) { openDescriptors() < before + 100 },
            "\(openDescriptors() - before) more descriptors open after 200 children")
    }

    /// Ctrl-C's handler waits (a bounded while) for the children left alone before it exits,
    /// which would close our end of their output pipes under them.
    @Test func theInterruptWaitsForAChildLeftAloneToEnd() throws {
        let out = try ChildPipe()
        let child = try SpawnedChild.start(
            "sh", ["-c", "sleep 0.5"], environment: ["PATH": "/usr/bin:/bin"], directory: nil, stdout: out.write,
            stderr: out.write, leftAlone: true)
        out.closeWrite()
        waitForChildrenLeftAlone(milliseconds: 20_000)
        // ended by then (a zombie: the wait leaves the reaping to whoever started it)
        let stat = (try? String(contentsOfFile: "/proc/\(child.pid)/stat", encoding: .utf8)) ?? ""
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        #expect(state == "Z", "\(stat)")
        #expect(child.wait() == 0)
    }

    @Test func statusesDirectoryEnvironmentAndAMissingProgram() throws {
        let env = ["PATH": "/usr/bin:/bin", "WORD": "a b"]
        let r = try SpawnedChild.capture(
            "sh", ["-c", "pwd; echo \"$WORD\"; echo err >&2; exit 7"], environment: env, directory: "/tmp")
        #expect(r.status == 7)
        #expect(String(decoding: r.stdout, as: UTF8.self) == "/tmp\na b\n")
        #expect(String(decoding: r.stderr, as: UTF8.self) == "err\n")
        #expect(
            try SpawnedChild.capture("sh", ["-c", "kill -TERM $$"], environment: env, directory: nil).status == SIGTERM)
        let alone = try SpawnedChild.capture(
            "sh", ["-c", "echo $GIT_SPRITE_FINISHES_ALONE"], environment: env, directory: nil, leftAlone: true)
        #expect(String(decoding: alone.stdout, as: UTF8.self) == "1\n")
        // the mark is given, never inherited: an ordinary child with it would be spared by Ctrl-C
        let marked = env.merging(["GIT_SPRITE_FINISHES_ALONE": "1"]) { $1 }
        let ordinary = try SpawnedChild.capture(
            "sh", ["-c", "echo \"[$GIT_SPRITE_FINISHES_ALONE]\""], environment: marked, directory: nil)
        #expect(String(decoding: ordinary.stdout, as: UTF8.self) == "[]\n")
        // not on PATH: started through env, which fails as a shell would
        #expect(try SpawnedChild.capture("no-such-program", [], environment: env, directory: nil).status == 127)
        let missing = #expect(throws: SpriteError.self) {
            try SpawnedChild.capture("sh", [], environment: env, directory: "/no/such/directory")
        }
        #expect(missing?.message == "cannot start sh: its working directory /no/such/directory does not exist")
    }
}

/// How many descriptors this process has open.
func openDescriptors() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
}
