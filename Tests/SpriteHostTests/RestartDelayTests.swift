import Testing

@testable import SpriteHost

/// How long a service that ended waits before it is started again.
@Suite("sprite-host service restarts")
struct RestartDelayTests {
    @Test func theDelayDoublesWithEachQuickEndUpToAMinute() {
        let delays = [0, 1, 2, 3, 4, 5, 6, 7, 8, 100].map { ServiceRunner.restartDelay(quickExits: $0) }
        #expect(delays == [1, 1, 2, 4, 8, 16, 32, 60, 60, 60])
    }
}
