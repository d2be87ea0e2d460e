// Built only with the tests: a plain `swift build` (make build, make demo) has no Testing module.
#if canImport(Testing)
    import Dispatch
    import Foundation
    import Testing

    /// Runs each test of a suite on a thread of its own, at most `OwnThread.width` of them at once.
    ///
    /// The end-to-end tests are synchronous: they start `git sprite`, `sprite-host` and git and wait
    /// for them. Swift Testing runs a synchronous test on the cooperative pool, which has as many
    /// threads as the machine has cores, so on two cores two tests ran at once while the machine sat
    /// three quarters idle (the tests mostly wait on processes, grace periods and timeouts). With this
    /// trait a test runs on a serial queue of its own (libdispatch gives such a queue a thread when
    /// it needs one, beyond the core count), inside the test's task, so `#expect` still knows which
    /// test it is in; `width` bounds how many run at once so a small machine is not swamped.
    public struct OwnThread: SuiteTrait, TestTrait, TestScoping {
        public var isRecursive: Bool { true }

        /// `GIT_SPRITE_TEST_WIDTH` (default 4): how many such tests run at once. On two cores six
        /// ran the whole suite in 280 s and four in 346 s, but at six (and eight) tests that wait
        /// on timers or bound a transfer's time failed now and then.
        static let width = max(1, Int(ProcessInfo.processInfo.environment["GIT_SPRITE_TEST_WIDTH"] ?? "") ?? 4)
        static let endToEnd = Slots(width)
        /// In-process tests that keep a core busy (`offThePool`): as many at once as there are cores.
        static let busy = Slots(max(1, ProcessInfo.processInfo.activeProcessorCount))

        /// Which slots a test of this trait takes.
        let slots: Slots

        public func provideScope(
            for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
        ) async throws {
            // the suite's and a parameterized function's own scopes: the cases below take the slots
            guard testCase != nil else { return try await function() }
            if Self.timesTests { _ = Self.runStarted }
            await slots.acquire(first: test.traits.contains { $0 is LongRunning })
            let started = Date()
            var failure: (any Error)?
            do {
                try await withTaskExecutorPreference(QueueExecutor(label: test.name)) { try await function() }
            } catch {
                failure = error
            }
            await slots.release()
            if Self.timesTests {
                // how long the test held its slot, not how long it waited for one
                let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
                let at = String(format: "%.0f", started.timeIntervalSince(Self.runStarted))
                let line = "test time: \(seconds) s \(test.name) (from \(at) s)\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            if let failure { throw failure }
        }

        /// `GIT_SPRITE_TEST_TIMES=1`: each test's own time on stderr, to find the slow ones.
        static let timesTests = ProcessInfo.processInfo.environment["GIT_SPRITE_TEST_TIMES"] == "1"
        /// When the first test asked for a slot: a test's line says when it got its own.
        static let runStarted = Date()

        /// A task executor that runs every job it is given on one serial queue.
        final class QueueExecutor: TaskExecutor {
            let queue: DispatchQueue
            init(label: String) { queue = DispatchQueue(label: "test: " + label) }
            func enqueue(_ job: consuming ExecutorJob) {
                let job = UnownedJob(job)
                queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
            }
        }

        /// A counting semaphore tasks wait on without holding a thread; a long test waiting is
        /// let in before the others (`LongRunning`).
        actor Slots {
            private var free: Int
            private var waitingLong: [CheckedContinuation<Void, Never>] = []
            private var waiting: [CheckedContinuation<Void, Never>] = []
            init(_ count: Int) { free = count }
            func acquire(first: Bool) async {
                if free > 0 {
                    free -= 1
                    return
                }
                await withCheckedContinuation { first ? waitingLong.append($0) : waiting.append($0) }
            }
            func release() {
                if !waitingLong.isEmpty {
                    waitingLong.removeFirst().resume()
                } else if !waiting.isEmpty {
                    waiting.removeFirst().resume()
                } else {
                    free += 1
                }
            }
        }
    }

    /// A test that takes several times as long as most: it takes the next free slot before the
    /// others waiting, so that it does not start near the end of a run and keep the run going
    /// alone while the machine idles (longest first is how a run of many jobs on few slots ends
    /// soonest). Scheduling only: it asserts nothing about time.
    public struct LongRunning: TestTrait {
    }

    extension Trait where Self == OwnThread {
        /// Each test on a thread of its own, so one that waits on processes does not hold a core's
        /// worth of Swift Testing's pool (`OwnThread`).
        public static var ownThread: Self { OwnThread(slots: OwnThread.endToEnd) }

        /// For in-process suites whose tests are synchronous and busy (fuzzing, parsing, the
        /// in-process fault matrix): on threads of their own too, at most one per core. On
        /// Swift Testing's pool, two of them held both of its threads for the first half
        /// minute of the whole suite, and no end-to-end test could start or end meanwhile.
        public static var offThePool: Self { OwnThread(slots: OwnThread.busy) }
    }

    extension Trait where Self == LongRunning {
        /// Started before the shorter tests waiting for a slot (`LongRunning`).
        public static var longRunning: Self { LongRunning() }
    }
#endif
