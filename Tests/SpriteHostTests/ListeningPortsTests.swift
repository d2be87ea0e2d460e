import CSpriteHost
import Foundation
import Testing

@testable import SpriteHost

#if canImport(Glibc)
    import Glibc
#endif

/// What listens in a network namespace, asked of the kernel's listening table (sock_diag), as
/// the exec streams' `port_opened` events are found: here in this process's own namespace,
/// beside `/proc/self/net/tcp{,6}`, which the host falls back to.
@Suite("listening ports")
struct ListeningPortsTests {
    /// A TCP socket of `family` listening on the loopback at a free port: its descriptor and port.
    static func listen(v6: Bool) throws -> (fd: Int32, port: Int) {
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var bound: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        try #require(bound == 0)
        try #require(Glibc.listen(fd, 1) == 0)
        var storage = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: storage.sin6_port)))
    }

    /// (joining a network namespace, even one's own, takes CAP_SYS_ADMIN: a root host's case)
    @Test(.enabled(if: geteuid() == 0)) func theKernelsListeningTableNamesWhatListensAsProcDoes() throws {
        let four = try Self.listen(v6: false)
        defer { close(four.fd) }
        let six = try Self.listen(v6: true)
        defer { close(six.fd) }
        // a socket that only connected out is not listening
        let quiet = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(quiet) }

        let netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        try #require(netns >= 0)
        defer { close(netns) }
        let kernel = try #require(
            SpriteRuntime.kernelListeners(netns: netns), "sock_diag: \(String(cString: strerror(errno)))")
        #expect(kernel[four.port] == "127.0.0.1")
        #expect(kernel[six.port] == "::1")
        let proc = SpriteRuntime.procListeners(pid: getpid())
        #expect(proc[four.port] == "127.0.0.1")
        #expect(proc[six.port] == "::1")
        // the same table, read two ways (other tests of this process may open or close
        // listeners meanwhile, so only ours are compared)
        #expect(
            kernel.filter { [four.port, six.port].contains($0.key) }
                == proc.filter { [four.port, six.port].contains($0.key) })
    }

    @Test(.enabled(if: geteuid() == 0)) func aShortBufferGetsTheCountAndTheReplyIsStillReadToItsEnd() throws {
        let listeners = try (0..<3).map { _ in try Self.listen(v6: false) }
        defer { for l in listeners { close(l.fd) } }
        let netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        try #require(netns >= 0)
        defer { close(netns) }
        let diag = sprite_diag_socket(netns)
        try #require(diag >= 0)
        defer { close(diag) }
        // room for one: every listener is counted, one written
        var one = [sprite_listener](repeating: sprite_listener(), count: 2)
        one[1].port = 7
        #expect(sprite_listeners(diag, AF_INET, &one, 1) >= 3)
        #expect(one[1].port == 7)
        // the socket is ready for the next question: the first answer was read to its end
        var all = [sprite_listener](repeating: sprite_listener(), count: 4096)
        let count = sprite_listeners(diag, AF_INET, &all, Int32(all.count))
        #expect(count >= 3)
        let ports = Set(all.prefix(Int(max(0, count))).map { Int($0.port) })
        #expect(Set(listeners.map(\.port)).isSubset(of: ports))
    }

    @Test(.enabled(if: geteuid() == 0)) func aNamespaceThatIsNotOneIsRefused() {
        let notANamespace = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(notANamespace) }
        let fd = sprite_diag_socket(notANamespace)
        let error = errno
        #expect(fd == -1)
        #expect(error == EINVAL)
    }
}
