import CSpriteHost
import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for sockets to be ready on behalf of tasks, from one thread of its own (epoll): a
/// task that waits holds no thread and costs nothing until its socket can move. Each wait is
/// registered once (`EPOLLONESHOT`), on the descriptor itself, or on a duplicate of it while
/// another wait has it (a read and a write of one socket); a deadline is looked at once a
/// second.
final class Readiness: @unchecked Sendable {
    static let shared = Readiness()

    private struct Waiter {
        let fd: Int32
        /// `fd` is a duplicate of the caller's, closed when the wait ends.
        let duplicate: Bool
        let deadline: ContinuousClock.Instant?
        let resume: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var waiting: [UInt64: Waiter] = [:]
        var next: UInt64 = 1
    }

    private let epoll: Int32
    private let state = Locked(State())

    private init() {
        epoll = sprite_epoll_create()
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "sprite-host readiness"
        thread.start()
    }

    // (the kernel's values: Glibc's module does not bring epoll's constants)
    static let readable: UInt32 = 0x001  // EPOLLIN
    static let writable: UInt32 = 0x004  // EPOLLOUT

    /// Whether `fd` became ready for `events` before `deadline` (an error or a hang-up counts as
    /// ready: the call that follows says which); false once the deadline has passed.
    func wait(_ fd: Int32, for events: UInt32, until deadline: ContinuousClock.Instant?) async -> Bool {
        guard epoll >= 0 else { return true }
        return await withCheckedContinuation { continuation in
            // (recorded before it is watched: what is ready may be said at once)
            let token = state.withLock { s in
                defer { s.next += 1 }
                s.waiting[s.next] = Waiter(fd: fd, duplicate: false, deadline: deadline, resume: continuation)
                return s.next
            }
            if sprite_epoll_watch(epoll, fd, events, token) == 0 { return }
            let copy = errno == EEXIST ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1
            guard copy >= 0 else { return finish(token, ready: true, watched: false) }
            state.withLock {
                $0.waiting[token] = Waiter(fd: copy, duplicate: true, deadline: deadline, resume: continuation)
            }
            if sprite_epoll_watch(epoll, copy, events, token) != 0 { finish(token, ready: true, watched: false) }
        }
    }

    /// Ends the wait of `token`, once: its registration goes (when it was `watched`: another
    /// wait's may be on the same descriptor), then its duplicate.
    private func finish(_ token: UInt64, ready: Bool, watched: Bool = true) {
        let waiter = state.withLock { $0.waiting.removeValue(forKey: token) }
        guard let waiter else { return }
        if watched { _ = sprite_epoll_forget(epoll, waiter.fd) }
        if waiter.duplicate { close(waiter.fd) }
        waiter.resume.resume(returning: ready)
    }

    private func loop() {
        var tokens = [UInt64](repeating: 0, count: 128)
        var looked = ContinuousClock.now
        while true {
            let n = sprite_epoll_ready(epoll, &tokens, Int32(tokens.count), 1000)
            if n > 0 {
                for i in 0..<Int(n) { finish(tokens[i], ready: true) }
            }
            let now = ContinuousClock.now
            guard now - looked >= .seconds(1) else { continue }
            looked = now
            let late = state.withLock { s in
                s.waiting.filter { $0.value.deadline.map { $0 <= now } ?? false }.map(\.key)
            }
            for token in late { finish(token, ready: false) }
        }
    }
}
