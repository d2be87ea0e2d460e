import CSpriteHost
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a process's stdin (or terminal) on a thread of its own, started with the first
/// bytes (most commands get none: their stdin just closes). Callers queue bytes and, once
/// `limit` bytes are waiting, suspend until the process has read them: a process that never
/// reads its input holds up only the request that feeds it, never a thread the host needs to
/// answer anyone else.
final class InputPump: @unchecked Sendable {
    private let fd: Int32
    private let closesDescriptor: Bool
    private let cond = NSCondition()
    private var queue: [Data] = []
    private var queued = 0
    private var closeRequested = false
    private var broken = false
    private var spaceWaiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    private let limit: Int
    /// The writing thread was started (it closes the descriptor when it ends); before that,
    /// `close` and `abandon` close it themselves.
    private var started = false
    private var descriptorClosed = false

    /// Takes over `fd` for writing; it is closed when the pump ends if `closesDescriptor`.
    init(fd: Int32, closesDescriptor: Bool, limit: Int = 1 << 20) {
        self.fd = fd
        self.closesDescriptor = closesDescriptor
        self.limit = limit
        // non-blocking, so that a process that never reads cannot pin this thread forever:
        // it waits in poll and notices when the process is gone
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Starts the writing thread once (under `cond`).
    private func startIfNeeded() {
        guard !started else { return }
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "stdin-\(fd)"
        thread.start()
    }

    /// Ends the pump where no thread was started (under `cond`): the descriptor closes here.
    private func endWithoutThread() {
        guard !started, !descriptorClosed else { return }
        descriptorClosed = true
        if closesDescriptor { Glibc.close(fd) }
    }

    private func run() {
        while true {
            cond.lock()
            while queue.isEmpty && !closeRequested && !broken { cond.wait() }
            if queue.isEmpty || broken {
                broken = true
                let waiters = spaceWaiters.values
                spaceWaiters = [:]
                cond.unlock()
                for w in waiters { w.resume() }
                if closesDescriptor { Glibc.close(fd) }
                return
            }
            let chunk = queue.removeFirst()
            cond.unlock()
            let ok = writeAll(chunk)
            cond.lock()
            queued -= chunk.count
            if !ok {
                broken = true
                queue = []
                queued = 0
            }
            var ready: [CheckedContinuation<Void, Never>] = []
            if queued < limit || broken {
                ready = Array(spaceWaiters.values)
                spaceWaiters = [:]
            }
            cond.unlock()
            for w in ready { w.resume() }
        }
    }

    private func writeAll(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            guard var p = raw.baseAddress else { return true }
            var left = raw.count
            while left > 0 {
                let n = Glibc.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN {
                        if isAbandoned { return false }
                        _ = sprite_wait_writable(fd, 250)
                        continue
                    }
                    return false
                }
                p += n
                left -= n
            }
            return true
        }
    }

    /// Queues `data`; suspends while `limit` bytes are already waiting. False once the
    /// input is closed or the process stopped reading for good (a broken pipe).
    @discardableResult
    func write(_ data: Data) async -> Bool {
        if data.isEmpty { return isOpen }
        let (accepted, full) = enqueue(data)
        guard accepted else { return false }
        if full {
            let key = UUID()
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    cond.lock()
                    if queued < limit || broken || Task.isCancelled {
                        cond.unlock()
                        c.resume()
                    } else {
                        spaceWaiters[key] = c
                        cond.unlock()
                    }
                }
            } onCancel: {
                cond.lock()
                let waiter = spaceWaiters.removeValue(forKey: key)
                cond.unlock()
                waiter?.resume()
            }
        }
        return isOpen
    }

    /// Queues `data` unless the input is closed; says whether `limit` bytes are now waiting.
    private func enqueue(_ data: Data) -> (accepted: Bool, full: Bool) {
        cond.lock()
        defer { cond.unlock() }
        guard !closeRequested && !broken else { return (false, false) }
        queue.append(data)
        queued += data.count
        startIfNeeded()
        cond.signal()
        return (true, queued >= limit)
    }

    /// No more input: what is queued is written, then the descriptor closes (end-of-file).
    func close() {
        cond.lock()
        closeRequested = true
        endWithoutThread()
        cond.signal()
        cond.unlock()
    }

    /// Drops whatever is queued and stops writing (the process is gone).
    func abandon() {
        cond.lock()
        broken = true
        queue = []
        queued = 0
        endWithoutThread()
        let waiters = spaceWaiters.values
        spaceWaiters = [:]
        cond.signal()
        cond.unlock()
        for w in waiters { w.resume() }
    }

    private var isAbandoned: Bool {
        cond.lock()
        defer { cond.unlock() }
        return broken
    }

    var isOpen: Bool {
        cond.lock()
        defer { cond.unlock() }
        return !closeRequested && !broken
    }
}
