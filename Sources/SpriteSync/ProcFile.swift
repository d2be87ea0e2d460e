#if canImport(Glibc)
    import Glibc
#endif

/// Files of /proc, read to their end. Their size reads as 0, and `String(contentsOfFile:)`
/// returns only the first 4 KiB of one: 54 lines of a `/proc/net/unix` of 3,015, the first
/// few dozen mounts of a `mountinfo`.
public enum ProcFile {
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += chunk[0..<n]
        }
    }
}
