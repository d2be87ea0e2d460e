import Foundation

/// A one-consumer queue between a producer thread and an async consumer, bounded by weight:
/// the producer blocks (it is always a dedicated thread, never one of Swift's cooperative
/// pool) while the consumer is `limit` behind. That is how a slow client slows a process
/// down instead of making the host buffer its output without bound.
final class BoundedChannel<Element: Sendable>: @unchecked Sendable {
    private let cond = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var weight = 0
    private var finished = false
    private var cancelled = false
    private var waiter: CheckedContinuation<Element?, Never>?
    private let limit: Int
    private let weigh: @Sendable (Element) -> Int

    init(limit: Int, weigh: @escaping @Sendable (Element) -> Int) {
        self.limit = limit
        self.weigh = weigh
    }

    /// Producer: queues `element`, first waiting while the consumer is behind. Returns false
    /// once the consumer has gone.
    @discardableResult
    func send(_ element: Element) -> Bool {
        cond.lock()
        while weight >= limit && !cancelled { cond.wait() }
        return deliver(element)
    }

    /// Producer that must not wait: returns false (and queues nothing) when the consumer is
    /// behind or gone.
    func trySend(_ element: Element) -> Bool {
        cond.lock()
        if weight >= limit || cancelled {
            cond.unlock()
            return false
        }
        return deliver(element)
    }

    /// Called with `cond` locked; unlocks it.
    private func deliver(_ element: Element) -> Bool {
        if cancelled || finished {
            cond.unlock()
            return false
        }
        if let w = waiter {
            waiter = nil
            cond.unlock()
            w.resume(returning: element)
            return true
        }
        items.append(element)
        weight += weigh(element)
        cond.unlock()
        return true
    }

    /// Producer: no more elements; the consumer gets the queued ones, then nil.
    func finish() {
        cond.lock()
        finished = true
        let w = items.count == head ? waiter : nil
        if w != nil { waiter = nil }
        cond.unlock()
        w?.resume(returning: nil)
    }

    /// Consumer: the next element, or nil when finished or cancelled. Cancelling the waiting
    /// task cancels the channel (its consumer is gone).
    func next() async -> Element? {
        await withTaskCancellationHandler {
            await take()
        } onCancel: {
            cancel()
        }
    }

    private func take() async -> Element? {
        await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
            cond.lock()
            if head < items.count {
                let element = items[head]
                head += 1
                weight -= weigh(element)
                if head > 64 && head * 2 > items.count {
                    items.removeFirst(head)
                    head = 0
                }
                cond.broadcast()
                cond.unlock()
                c.resume(returning: element)
            } else if finished || cancelled {
                cond.unlock()
                c.resume(returning: nil)
            } else {
                waiter = c
                cond.unlock()
            }
        }
    }

    /// Consumer: gone; the producer stops waiting and everything queued is dropped.
    func cancel() {
        cond.lock()
        cancelled = true
        items = []
        head = 0
        weight = 0
        let w = waiter
        waiter = nil
        cond.broadcast()
        cond.unlock()
        w?.resume(returning: nil)
    }

    var isCancelled: Bool {
        cond.lock()
        defer { cond.unlock() }
        return cancelled
    }
}
