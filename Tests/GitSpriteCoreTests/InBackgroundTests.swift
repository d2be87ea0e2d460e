import Foundation
import SpriteSync
import Testing

/// `InBackground`: a value made on a thread of its own while the caller goes on (`up` walks to
/// the root of the history while it looks the sprite up).
@Suite("a value made in the background")
struct InBackgroundTests {
    /// The value is made while the caller goes on: here it can only be made once the caller,
    /// after creating it, lets it (made on the caller's thread, it would never be).
    @Test func theValueIsMadeWhileTheCallerGoesOn() {
        let go = DispatchSemaphore(value: 0)
        let background = InBackground { go.wait(timeout: .now() + 5) == .success ? "made" : "made too late" }
        go.signal()
        #expect(background.value == "made")
    }

    /// Every reader gets the one value, made once; a reader that comes first waits for it.
    @Test func everyReaderGetsTheOneValue() {
        let made = Locked(0)
        let background = InBackground { () -> Int in
            Thread.sleep(forTimeInterval: 0.05)
            return made.withLock { n in
                n += 1
                return n
            }
        }
        let seen = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let v = background.value
            seen.withLock { $0.append(v) }
        }
        #expect(seen.value == [1, 1, 1, 1] && made.value == 1 && background.value == 1)
    }
}
