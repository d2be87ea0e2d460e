import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Unix socket's address as `bind` and `connect` take it: the one place its path is copied
/// into a `sockaddr_un`, and refused when it does not fit (with its NUL, 108 bytes).
public struct UnixSocketAddress {
    private var address = sockaddr_un()

    public init?(_ path: String) {
        address.sun_family = sa_family_t(AF_UNIX)
        guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
    }

    /// `bind(2)` of `fd` to this address: 0, or -1 with errno set.
    public func bind(_ fd: Int32) -> Int32 {
        withSockaddr { Glibc.bind(fd, $0, $1) }
    }

    /// `connect(2)` of `fd` to this address: 0, or -1 with errno set.
    public func connect(_ fd: Int32) -> Int32 {
        withSockaddr { Glibc.connect(fd, $0, $1) }
    }

    private func withSockaddr(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
