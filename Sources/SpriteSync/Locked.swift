import Foundation

/// A value shared between threads, reachable only under its lock: the one lock abstraction of
/// the client and the host. Read a snapshot with `value`, change it with `withLock`, whose
/// closure is the whole critical section (keep it short, and never call out of it to code
/// that could take the same lock).
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    /// A copy of the value as it is now.
    public var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    public func set(_ value: Value) {
        lock.lock()
        stored = value
        lock.unlock()
    }

    /// Reads or changes the value under the lock; returns what `body` returns.
    @discardableResult
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&stored)
    }
}
