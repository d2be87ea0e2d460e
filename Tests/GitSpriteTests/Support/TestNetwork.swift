import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Addresses of this machine for servers a sprite must reach. A sprite never reaches the
/// host's loopback, so such a server listens on a non-loopback address of the machine,
/// which an `allow-all` sprite reaches through slirp4netns like any other host.
enum TestNetwork {
    /// The first IPv4 address of an interface that is up and not loopback.
    static let hostAddress: String = {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return "127.0.0.1" }
        defer { freeifaddrs(list) }
        var p = list
        while let entry = p?.pointee {
            defer { p = entry.ifa_next }
            guard let addr = entry.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET),
                entry.ifa_flags & UInt32(IFF_UP) != 0,
                entry.ifa_flags & UInt32(IFF_LOOPBACK) == 0
            else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let ok = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a -> Bool in
                var inAddr = a.pointee.sin_addr
                return inet_ntop(AF_INET, &inAddr, &text, socklen_t(text.count)) != nil
            }
            if ok { return String(cString: text) }
        }
        return "127.0.0.1"
    }()

    /// A TCP port on `address` that was free a moment ago.
    static func freePort(on address: String = "127.0.0.1") throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(address)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: addr.sin_port)
    }
}
