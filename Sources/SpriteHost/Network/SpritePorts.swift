import CSpriteHost
import Foundation
import SpriteSync
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// Reaching what a sprite serves: TCP connections made from inside its network namespace
/// (`/proxy` and the sprite's URL), and the ports something listens on there (the exec
/// streams' `port_opened`/`port_closed`).
extension SpriteRuntime {
    /// A connection to `host:port` from inside the sprite (`sprite-enter connect`): its
    /// loopback and interfaces, with its network policy, never the host's. Blocks; throws the
    /// reason when it cannot connect.
    func connectInside(host: String, port: Int) throws -> Int32 {
        let box = try sandbox()
        var pair: [Int32] = [0, 0]
        guard sprite_socketpair(&pair) == 0 else { throw HostError.internalError("cannot create a socket pair") }
        defer { close(pair[0]) }
        let helper: SpawnedProcess
        do {
            helper = try SpawnedProcess(
                box.helper(["connect", host, String(port)], keep: [pair[1]]),
                onOutput: { _, _ in }, onExit: { _ in })
        } catch {
            close(pair[1])
            throw error
        }
        close(pair[1])
        var text = [CChar](repeating: 0, count: 256)
        let fd = sprite_recv_fd(pair[0], &text, text.count, 15_000)
        guard fd >= 0 else {
            helper.signal(SIGKILL)
            let said = String(cString: text)
            throw HostError(
                status: .badGateway, code: "connect_failed",
                message: said.hasPrefix("error: ")
                    ? "cannot connect to \(host):\(port): " + said.dropFirst(7)
                    : "cannot connect to \(host):\(port)")
        }
        return fd
    }

    /// The TCP ports something in the sprite listens on, with the address it listens on; the
    /// host's own listener there (the egress proxy) left out. Empty while it is cold.
    ///
    /// Asked of the kernel's listening table through sock_diag in the sprite's network
    /// namespace. `/proc/PID/net/tcp` (the fallback, for a host that may not join that
    /// namespace: one not running as root) walks every connection of the whole machine to
    /// find the sprite's, 1.5 ms per file with 200 connections in TIME_WAIT here, and each
    /// exec stream asks once a second.
    func listeningPorts() -> [Int: String] {
        guard let running = runningSandbox else { return [:] }
        var ports = Self.kernelListeners(running) ?? Self.procListeners(pid: running.initPID)
        if let own = network.proxyPort { ports.removeValue(forKey: own) }
        return ports
    }

    /// Through sock_diag, or nil when the host cannot ask there (one not running as root may
    /// not join the sprite's network namespace: not tried).
    static func kernelListeners(_ box: SandboxInstance) -> [Int: String]? {
        box.platform.runsAsRoot ? kernelListeners(netns: box.namespaces[5]) : nil
    }

    /// What listens in the network namespace `netns` (an open descriptor of it), through
    /// sock_diag; nil when it cannot be asked.
    static func kernelListeners(netns: Int32) -> [Int: String]? {
        let diag = sprite_diag_socket(netns)
        guard diag >= 0 else { return nil }
        defer { close(diag) }
        var ports: [Int: String] = [:]
        var found = [sprite_listener](repeating: sprite_listener(), count: 1024)
        for (family, v6) in [(AF_INET, false), (AF_INET6, true)] {
            var count = sprite_listeners(diag, family, &found, Int32(found.count))
            if count > found.count {
                // more than there was room for: once more with room for all of them
                found = [sprite_listener](repeating: sprite_listener(), count: Int(count) + 64)
                count = sprite_listeners(diag, family, &found, Int32(found.count))
            }
            guard count >= 0 else { return nil }
            for listener in found.prefix(Int(count)) {
                let bytes = withUnsafeBytes(of: listener.address) { Array($0.prefix(v6 ? 16 : 4)) }
                remember(Int(listener.port), address(bytes), in: &ports)
            }
        }
        return ports
    }

    /// From `/proc/PID/net/tcp{,6}` of the sprite's PID 1.
    static func procListeners(pid: pid_t) -> [Int: String] {
        var ports: [Int: String] = [:]
        for file in ["tcp", "tcp6"] {
            guard let text = ProcFile.read("/proc/\(pid)/net/\(file)") else { continue }
            for listener in SocketTable.listening(text) {
                remember(listener.port, listener.address.map(address) ?? "?", in: &ports)
            }
        }
        return ports
    }

    /// One address per port: a wildcard or outside address over a loopback one.
    private static func remember(_ port: Int, _ address: String, in ports: inout [Int: String]) {
        if ports[port] == nil || ports[port] == "::1" || ports[port] == "127.0.0.1" { ports[port] = address }
    }

    /// An address in network byte order (4 bytes, or 16 for IPv6) as text.
    static func address(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return bytes.map(String.init).joined(separator: ".") }
        if bytes.allSatisfy({ $0 == 0 }) { return "::" }
        if bytes == [UInt8](repeating: 0, count: 15) + [1] { return "::1" }
        return "ipv6"
    }
}
