import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads and writes on a socket whose other end is in a sprite, without holding a thread while
/// the sprite makes us wait: each call tries at once (`MSG_DONTWAIT`), and while nothing can
/// move, the task sleeps (1 ms at first, then up to 50 ms). Blocking calls on `Blocking`'s
/// threads waited as long as the sprite chose: a hundred requests to a sprite's URL whose
/// server sent a head and then nothing held every thread of the pool, and the whole host,
/// every sprite's API included, stopped answering (an adversarial review).
enum SpriteSocket {
    static let longestPause = 50

    /// Up to `max` bytes as soon as some come; empty at the end of the stream, on an error or
    /// when the task is cancelled; nil when `deadline` passes first.
    static func read(_ fd: Int32, max: Int = 64 << 10, deadline: ContinuousClock.Instant? = nil) async -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max)
        var pause = 1
        while true {
            let n = recv(fd, &buffer, max, Int32(MSG_DONTWAIT))
            if n > 0 { return Array(buffer[0..<n]) }
            if n == 0 { return [] }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK, !Task.isCancelled else { return [] }
            if let deadline, ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(pause))
            pause = min(pause * 2, longestPause)
        }
    }

    /// Writes all of `data`; false when the other end is gone, on an error, or when the task is
    /// cancelled while the sprite reads nothing.
    static func writeAll(_ fd: Int32, _ data: Data) async -> Bool {
        var offset = 0
        var pause = 1
        while offset < data.count {
            let n = data.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n > 0 {
                offset += n
                pause = 1
                continue
            }
            if n < 0 && errno == EINTR { continue }
            guard n < 0, errno == EAGAIN || errno == EWOULDBLOCK, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(pause))
            pause = min(pause * 2, longestPause)
        }
        return true
    }
}
