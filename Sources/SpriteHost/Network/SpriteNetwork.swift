import CSpriteHost
import Foundation
import SpriteSync
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// The network of one sprite: its own network namespace (made with the sandbox), plus what
/// its policy lets out. `open` attaches slirp4netns (user-mode networking whose gateway
/// refuses the host's loopback); `blocked` attaches nothing; `filtered` offers the egress
/// proxy on the sprite's loopback. Policy changes apply to the running sprite at once.
final class SpriteNetwork: Sendable {
    private let layout: SpriteLayout
    private let platform: HostPlatform
    private let resolver: EgressProxy.Resolver
    private struct State {
        var policy: NetworkPolicy
        var instance: SandboxInstance?
        var slirp: SpawnedProcess?
        /// The write end of slirp4netns's exit descriptor: closing it stops slirp4netns.
        var slirpExit: Int32 = -1
        var proxy: EgressProxy?
    }
    private let state: Locked<State>

    /// What `apply` does, decided under the lock and done outside it.
    private struct Plan {
        let sandbox: SandboxInstance
        let wantSlirp: Bool, needSlirp: Bool, needProxy: Bool
        /// slirp4netns and its exit descriptor, to stop.
        let stopping: (SpawnedProcess?, Int32)?
        let oldProxy: EgressProxy?
    }

    init(layout: SpriteLayout, platform: HostPlatform, rules: [PolicyRule], resolver: @escaping EgressProxy.Resolver) {
        self.layout = layout
        self.platform = platform
        self.resolver = resolver
        state = Locked(State(policy: NetworkPolicy(rules: rules)))
    }

    /// The sandbox came up: give it what its policy allows.
    func attach(_ sandbox: SandboxInstance) {
        state.withLock { $0.instance = sandbox }
        apply()
    }

    /// The sandbox is going away.
    func detach() {
        let (process, exitFD, p) = state.withLock { s in
            s.instance = nil
            let taken = (s.slirp, s.slirpExit, s.proxy)
            s.slirp = nil
            s.slirpExit = -1
            s.proxy = nil
            return taken
        }
        stopSlirp(process, exitFD)
        p?.stop()
    }

    /// The port of the egress proxy's listener inside the sprite, when it has one: the host's
    /// own, never reported as the sprite's.
    var proxyPort: Int? {
        state.withLock { $0.proxy?.port }
    }

    /// A new policy, applied now.
    func update(_ rules: [PolicyRule]) {
        let p = state.withLock { s in
            s.policy = NetworkPolicy(rules: rules)
            return s.proxy
        }
        p?.dropConnections()
        apply()
    }

    var currentPolicy: NetworkPolicy {
        state.withLock { $0.policy }
    }

    /// Proxy variables for commands of a `filtered` sprite.
    func environment() -> [String] {
        let (mode, proxyPort) = state.withLock { ($0.policy.mode, $0.proxy?.port) }
        guard mode == .filtered, let port = proxyPort else { return [] }
        let url = "http://127.0.0.1:\(port)"
        return [
            "http_proxy=\(url)", "https_proxy=\(url)", "HTTP_PROXY=\(url)", "HTTPS_PROXY=\(url)",
            "no_proxy=localhost,127.0.0.1,::1", "NO_PROXY=localhost,127.0.0.1,::1",
        ]
    }

    /// Exactly what is enforced for the current policy on this host.
    var enforcement: String { enforcement(of: currentPolicy.mode) }

    /// What each kind of policy means on this host, as `git sprite up` names them.
    var enforcementByPolicy: [String: String] {
        [
            "allow-all": enforcement(of: .open), "block-all": enforcement(of: .blocked),
            "allow-list": enforcement(of: .filtered),
        ]
    }

    func enforcement(of mode: NetworkPolicy.Mode) -> String {
        switch mode {
        case .open:
            if let why = platform.slirpUnavailable {
                return "allow-all requested, but this host cannot give sprites a network (\(why)): no outbound network"
            }
            return
                "allow-all: outbound network through slirp4netns; the host's loopback (and so sprite-host) is unreachable"
        case .blocked:
            return "block-all: no route out; only the sprite's own loopback"
        case .filtered:
            return "filtered: no route out; an HTTP proxy on the sprite's loopback (http_proxy, https_proxy) lets "
                + "through the names the rules allow; IP literals, loopback and link-local addresses are refused; "
                + "private addresses are reachable on this host (Sprites blocks them)"
        }
    }

    private func apply() {
        let decided = state.withLock { s -> Plan? in
            guard let sandbox = s.instance else { return nil }
            let mode = s.policy.mode
            let wantSlirp = mode == .open && platform.slirp != nil
            let stopping = (!wantSlirp && s.slirp != nil) ? (s.slirp, s.slirpExit) : nil
            if stopping != nil {
                s.slirp = nil
                s.slirpExit = -1
            }
            let needSlirp = wantSlirp && s.slirp == nil
            // the proxy exists only while the policy is filtered: it is a way out
            let needProxy = mode == .filtered && s.proxy == nil
            let oldProxy = mode != .filtered ? s.proxy : nil
            if oldProxy != nil { s.proxy = nil }
            return Plan(
                sandbox: sandbox, wantSlirp: wantSlirp, needSlirp: needSlirp, needProxy: needProxy,
                stopping: stopping, oldProxy: oldProxy)
        }
        guard let plan = decided else {
            writeResolver(open: false)
            return
        }
        let sandbox = plan.sandbox
        plan.oldProxy?.stop()
        if let (s, fd) = plan.stopping { stopSlirp(s, fd) }
        if plan.needProxy, let started = try? startProxy(sandbox) {
            state.withLock { s in
                if s.instance === sandbox && s.proxy == nil { s.proxy = started } else { started.stop() }
            }
        }
        if plan.needSlirp, let (p, fd) = try? startSlirp(sandbox) {
            let kept = state.withLock { s in
                guard s.instance === sandbox && s.slirp == nil else { return false }
                s.slirp = p
                s.slirpExit = fd
                return true
            }
            if !kept { stopSlirp(p, fd) }
        }
        writeResolver(open: plan.wantSlirp)
    }

    /// slirp4netns's DNS forwarder when the sprite is open; otherwise the sprite's own loopback,
    /// where nothing answers, so a lookup fails at once instead of timing out.
    private func writeResolver(open: Bool) {
        try? layout.writeSystemFile("etc/resolv.conf", open ? "nameserver 10.0.2.3\n" : "nameserver 127.0.0.1\n")
    }

    /// Opens a listener on 127.0.0.1 inside the sprite's network namespace (`sprite-enter listen`)
    /// and serves the egress proxy on it.
    private func startProxy(_ sandbox: SandboxInstance) throws -> EgressProxy {
        var pair: [Int32] = [0, 0]
        guard sprite_socketpair(&pair) == 0 else { throw HostError.internalError("cannot create a socket pair") }
        defer { close(pair[0]) }
        let helper = try SpawnedProcess(
            sandbox.helper(["listen", "0"], keep: [pair[1]]), onOutput: { _, _ in },
            onExit: { _ in })
        close(pair[1])
        var text = [CChar](repeating: 0, count: 16)
        let fd = sprite_recv_fd(pair[0], &text, text.count, 5000)
        guard fd >= 0, let port = Int(String(cString: text)) else {
            helper.signal(SIGKILL)
            throw HostError.internalError("cannot open the sprite's proxy listener")
        }
        return EgressProxy(
            listener: fd, port: port,
            policy: { [weak self] in
                self?.currentPolicy ?? NetworkPolicy(rules: [PolicyRule(domain: "*", action: "deny")])
            }, resolver: resolver)
    }

    /// Starts slirp4netns on the sprite's network namespace and waits until it configured
    /// the interface (at most 5 s).
    private func startSlirp(_ sandbox: SandboxInstance) throws -> (SpawnedProcess, Int32) {
        guard let slirpPath = platform.slirp else { throw HostError.internalError("no slirp4netns") }
        // the network namespace belongs to the sprite's outer user namespace (the parent of the
        // one its processes are in): slirp4netns must join that one to configure it
        let outer = sprite_ns_parent(sandbox.namespaces[0])
        guard outer >= 0 else { throw HostError.internalError("cannot find the sprite's user namespace") }
        defer { close(outer) }
        var exitPipe: [Int32] = [0, 0], readyPipe: [Int32] = [0, 0]
        guard sprite_pipe(&exitPipe) == 0 else { throw HostError.internalError("cannot create pipes") }
        guard sprite_pipe(&readyPipe) == 0 else {
            close(exitPipe[0])
            close(exitPipe[1])
            throw HostError.internalError("cannot create pipes")
        }
        defer { close(readyPipe[0]) }
        let argv = [
            slirpPath, "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox",
            "--enable-seccomp", "--exit-fd=3", "--ready-fd=4", "--userns-path=/proc/self/fd/5",
            "--netns-type=path", "/proc/self/fd/6", "tap0",
        ]
        let process: SpawnedProcess
        do {
            process = try SpawnedProcess(
                SpawnRequest(
                    argv: argv, environment: ["PATH=/usr/bin:/bin"], directory: "/",
                    keep: [exitPipe[0], readyPipe[1], outer, sandbox.namespaces[5]]),
                onOutput: { _, _ in }, onExit: { _ in })
        } catch {
            close(exitPipe[0])
            close(exitPipe[1])
            close(readyPipe[1])
            throw error
        }
        close(exitPipe[0])
        close(readyPipe[1])
        var byte: UInt8 = 0
        guard sprite_wait_readable(readyPipe[0], 5000) > 0, read(readyPipe[0], &byte, 1) == 1 else {
            stopSlirp(process, exitPipe[1])
            throw HostError.internalError("slirp4netns did not start")
        }
        return (process, exitPipe[1])
    }

    private func stopSlirp(_ process: SpawnedProcess?, _ exitFD: Int32) {
        if exitFD >= 0 { close(exitFD) }
        guard let process else { return }
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.signal(SIGKILL) }
    }
}
