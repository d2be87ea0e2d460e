import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes all of `data` to a file descriptor, retrying short writes; stops on an error
/// (a closed pipe is the reader's choice, not ours to report).
func writeAll(_ fd: Int32, _ data: Data) {
    data.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let n = write(fd, base + offset, raw.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
