import Foundation

/// A value made on a thread of its own while the caller goes on: `value` waits for it. The
/// caller must not touch what `make` uses (a repository handle, say) until it has read
/// `value`, and must read it before that goes away.
public final class InBackground<Value>: @unchecked Sendable {
    private let made = DispatchSemaphore(value: 0)
    private let result: Locked<Value?> = Locked(nil)

    public init(_ make: @escaping () -> Value) {
        nonisolated(unsafe) let make = make
        let (made, result) = (made, result)
        Thread {
            result.set(make())
            made.signal()
        }.start()
    }

    /// The value, once made (waits for it the first time).
    public var value: Value {
        if let ready = result.value { return ready }
        made.wait()
        made.signal()  // for a later reader
        return result.value!
    }
}
