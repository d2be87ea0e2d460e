import Foundation

/// A value made on a thread of its own while the caller goes on: `value` waits for it. The
/// caller must not touch what `make` uses (a repository handle, say) until it has read
/// `value`, and must read it before that goes away.
public final class InBackground<Value>: @unchecked Sendable {
    private let made = DispatchGroup()
    private let result: Locked<Value?> = Locked(nil)

    public init(_ make: @escaping () -> Value) {
        nonisolated(unsafe) let make = make
        let (made, result) = (made, result)
        made.enter()
        Thread {
            result.set(make())
            made.leave()
        }.start()
    }

    /// The value, once made (waits for it).
    public var value: Value {
        made.wait()
        return result.value!
    }

    /// The value, when it is made within `seconds`; nil when it is not yet.
    public func value(within seconds: Double) -> Value? {
        made.wait(timeout: .now() + seconds) == .success ? result.value : nil
    }
}
