import Foundation

/// Runs `body` for every item, at most `limit` at once, each worker on a thread of its own
/// (the work waits on the network or a child process, so the core count does not bound it,
/// as it does `DispatchQueue.concurrentPerform`'s). Throws the first error, once every
/// running item has finished; items not started yet are then left alone.
public func concurrently<Item: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) throws -> Void
) throws {
    guard !items.isEmpty else { return }
    let next = Locked(0)
    let failure = Locked<Error?>(nil)
    let done = DispatchGroup()
    for _ in 0..<min(max(limit, 1), items.count) {
        done.enter()
        Thread {
            defer { done.leave() }
            while failure.value == nil {
                let k = next.withLock { n -> Int in
                    defer { n += 1 }
                    return n
                }
                guard k < items.count else { return }
                do { try body(items[k]) } catch { failure.withLock { $0 = $0 ?? error } }
            }
        }.start()
    }
    done.wait()
    if let error = failure.value { throw error }
}
