import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#endif

/// Reads and writes on a socket whose other end is in a sprite, without holding a thread while
/// the sprite makes us wait: each call tries at once (`MSG_DONTWAIT`), and while nothing can
/// move, the task waits for the socket to be ready (`Readiness`). Blocking calls on
/// `Blocking`'s threads waited as long as the sprite chose: a few hundred requests to a
/// sprite's URL whose server sent a head and then nothing held every thread of the pool, and
/// the whole host, every sprite's API included, stopped answering (an adversarial review).
/// Sleeping between looks instead cost 15% of a core for 500 idle requests (the next review).
enum SpriteSocket {
    /// How long a write may make no progress before it fails (a sprite that never reads).
    static let writeIdleLimit: Duration = .seconds(120)

    /// Up to `max` bytes as soon as some come; empty at the end of the stream, on an error or
    /// when the task is cancelled; nil when `deadline` passes first.
    static func read(_ fd: Int32, max: Int = 64 << 10, deadline: ContinuousClock.Instant? = nil) async -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = recv(fd, &buffer, max, Int32(MSG_DONTWAIT))
            if n > 0 { return Array(buffer[0..<n]) }
            if n == 0 { return [] }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK, !Task.isCancelled else { return [] }
            if let deadline, ContinuousClock.now >= deadline { return nil }
            if !(await Readiness.shared.wait(fd, for: Readiness.readable, until: deadline)) { return nil }
        }
    }

    /// Writes all of `data`; false when the other end is gone, on an error, when nothing moved
    /// for `writeIdleLimit`, or when the task is cancelled while the sprite reads nothing.
    static func writeAll(_ fd: Int32, _ data: Data) async -> Bool {
        var offset = 0
        var moved = ContinuousClock.now
        while offset < data.count {
            let n = data.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n > 0 {
                offset += n
                moved = ContinuousClock.now
                continue
            }
            if n < 0 && errno == EINTR { continue }
            guard n < 0, errno == EAGAIN || errno == EWOULDBLOCK, !Task.isCancelled,
                await Readiness.shared.wait(fd, for: Readiness.writable, until: moved + writeIdleLimit)
            else { return false }
        }
        return true
    }
}

/// A request body of no stated length (chunked), written to an unnamed file as it comes, up
/// to a limit (413 past it), so that it can go to the sprite with its length and without being
/// held in memory.
struct BodySpool {
    let fd: Int32
    let length: Int

    static func take(_ body: RequestBody, limit: Int) async throws -> BodySpool {
        var template = Array((NSTemporaryDirectory() + "/sprite-host-body-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw HostError.internalError("cannot spool the request's body") }
        // (unnamed from the start: it goes when its descriptor does; never inherited)
        unlink(String(cString: template))
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var length = 0
        do {
            for try await part in body {
                length += part.readableBytes
                guard length <= limit else {
                    throw HostError(
                        status: .contentTooLarge, code: "body_too_large",
                        message: "a body of no stated length is taken up to \(limit >> 20) MiB: give its length")
                }
                let written = part.withUnsafeReadableBytes { raw -> Bool in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { return false }
                        offset += n
                    }
                    return true
                }
                guard written else { throw HostError.internalError("cannot spool the request's body") }
            }
        } catch {
            close(fd)
            throw error
        }
        return BodySpool(fd: fd, length: length)
    }

    /// Sends what was spooled to `socket`, from the start.
    func send(to socket: Int32) async -> Bool {
        var offset: off_t = 0
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = pread(fd, &buffer, buffer.count, offset)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return false }
            if n == 0 { return true }
            guard await SpriteSocket.writeAll(socket, Data(buffer[0..<n])) else { return false }
            offset += off_t(n)
        }
    }
}
