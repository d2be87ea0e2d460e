import Foundation
import SpriteSync
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// The live side of one sprite: its sandbox, sessions, services, tasks, network and
/// running/warm/cold status.
final class SpriteRuntime: @unchecked Sendable {
    let name: String
    let layout: SpriteLayout
    let platform: HostPlatform
    /// The sprite's host user (`HostPlatform.account`).
    let account: (uid: UInt32, gid: UInt32)
    let network: SpriteNetwork
    private let resources: (cpus: Int, ramMB: Int)

    /// What changes while the sprite lives, under one lock.
    struct State {
        var status = SpriteStatus.cold
        var lastActivity = Date.distantPast
        var warmSince: Date?
        var sessions: [String: ExecSession] = [:]
        /// Sessions counted against the limits but not yet in `sessions`.
        var startingSessions = 0
        var services: [String: ServiceRunner] = [:]
        var connections = 0
        var tasks: [String: (started: Date, expires: Date)] = [:]
        /// Set while the host changes the sprite's files (restore, delete): nothing of the
        /// sprite may run then, or it could rearrange those files under the host's feet.
        var maintenance: String?
    }

    let state = Locked(State())
    /// The running sandbox (nil while cold). Started on first use, under this lock (taken
    /// before `state`'s when both are).
    private let instance = Locked<SandboxInstance?>(nil)
    /// The `/.sprite/api.sock` server.
    private var tasksServer: Task<Void, Never>?
    /// Called when the status changes, so the record's timestamps follow.
    var onStatusChange: (@Sendable (SpriteStatus) -> Void)?

    var status: SpriteStatus { state.withLock { $0.status } }

    /// The host's count of running sessions.
    let sessionBudget: SessionBudget

    /// The host's memory admission.
    private let memoryBudget: MemoryBudget

    init(
        record: SpriteRecord, layout: SpriteLayout, platform: HostPlatform, sessions: SessionBudget,
        memory: MemoryBudget, resolver: @escaping EgressProxy.Resolver
    ) {
        name = record.name
        sessionBudget = sessions
        memoryBudget = memory
        self.layout = layout
        self.platform = platform
        account = platform.account(slot: record.slot ?? 0)
        resources = (record.cpus, record.ramMB)
        network = SpriteNetwork(layout: layout, platform: platform, rules: record.policy, resolver: resolver)
        tasksServer = Task { [weak self] in
            guard let self else { return }
            try? await TasksServer.run(self)
        }
    }

    // MARK: lifecycle

    /// Any API call wakes the sprite: a cold sprite starts its services again (in the
    /// background: waking must not block the request that woke it).
    func wake() {
        let (changed, toStart) = state.withLock { state in
            let wasCold = state.status == .cold
            let changed = state.status != .running
            state.lastActivity = Date()
            state.status = .running
            state.warmSince = nil
            return (changed, wasCold && state.maintenance == nil ? state.services.values.filter { $0.shouldRun } : [])
        }
        if changed { onStatusChange?(.running) }
        if !toStart.isEmpty { Blocking.detach { for s in toStart { s.start() } } }
    }

    /// Runs `body` with every process of the sprite gone and none able to start (blocks: call
    /// through `Blocking`). Requests that would run something meanwhile get a 409.
    func underMaintenance<T>(_ what: String, _ body: () throws -> T) throws -> T {
        try state.withLock { state in
            if let other = state.maintenance { throw HostError.conflict("sprite \(name) is \(other)") }
            state.maintenance = what
        }
        defer { state.withLock { $0.maintenance = nil } }
        goCold()
        return try body()
    }

    /// Counts a connected client; the sprite stays running while one is connected.
    func connect() {
        state.withLock { $0.connections += 1 }
        wake()
    }

    func disconnect() {
        state.withLock { state in
            state.connections -= 1
            state.lastActivity = Date()
        }
    }

    /// Advances running → warm → cold after idle windows.
    func tick(now: Date, warmAfter: TimeInterval, coldAfter: TimeInterval) {
        let change = state.withLock { state -> SpriteStatus? in
            state.tasks = state.tasks.filter { $0.value.expires > now }
            let busy =
                state.connections > 0 || !state.tasks.isEmpty
                || state.sessions.values.contains {
                    $0.exitCode == nil && $0.lastActivity > now.addingTimeInterval(-warmAfter)
                }
            if busy { state.lastActivity = now }
            if state.status == .running, now.timeIntervalSince(state.lastActivity) >= warmAfter {
                state.status = .warm
                state.warmSince = now
                return .warm
            }
            if state.status == .warm, let since = state.warmSince, now.timeIntervalSince(since) >= coldAfter {
                return .cold
            }
            return nil
        }
        if change == .cold { Blocking.detach { self.goCold() } } else if let change { onStatusChange?(change) }
    }

    /// Stops the VM: every process dies (PID 1 of the sprite takes its whole PID namespace
    /// with it), services are remembered and start again on wake. Blocks until they are gone.
    func goCold() {
        let allServices = state.withLock { state in
            state.status = .cold
            state.warmSince = nil
            return Array(state.services.values)
        }
        for s in allServices { s.kill() }
        let running = instance.withLock { instance in
            defer { instance = nil }
            return instance
        }
        network.detach()
        running?.stop()
        memoryBudget.release(name)
        for s in state.withLock({ Array($0.sessions.values) }) { s.process?.signal(SIGKILL) }
        onStatusChange?(.cold)
    }

    /// The sandbox while it runs (its namespaces stay open while this is held); nil when cold.
    var runningSandbox: SandboxInstance? {
        instance.withLock { instance in instance.flatMap { $0.isRunning ? $0 : nil } }
    }

    /// The running sandbox, started if needed (blocks: call through `Blocking`).
    func sandbox() throws -> SandboxInstance {
        try instance.withLock { instance in
            if let busy = state.withLock({ $0.maintenance }) {
                throw HostError.conflict("sprite \(name) is \(busy); try again in a moment")
            }
            if let running = instance, running.isRunning { return running }
            instance = nil
            network.detach()
            try layout.create(name: name, owner: account)
            var cgroups: [String] = []
            if let tree = platform.cgroups, platform.runsAsRoot {
                try memoryBudget.admit(name, ramMB: resources.ramMB)
                cgroups = try tree.prepare(sprite: name, cpus: resources.cpus, ramMB: resources.ramMB)
            }
            let started: SandboxInstance
            do {
                started = try SandboxInstance.start(
                    SandboxProfile(
                        name: name, layout: layout, platform: platform,
                        account: account, cgroups: cgroups))
            } catch {
                memoryBudget.release(name)
                throw error
            }
            network.attach(started)
            instance = started
            return started
        }
    }

    /// Whether its storage is limited, as the sprite object reports it.
    func storageEnforcement(gigabytes: Int) -> String {
        if layout.disk != nil { return "enforced: a file system of its own, \(gigabytes) GB (ext4 on a loop device)" }
        if let why = platform.disksUnavailable { return "not enforced: " + why }
        return "not enforced: the sprite was made before sprite-host limited storage (make it again to limit it)"
    }

    /// What the sprite's resource limits are, as the sprite object reports them.
    var resourceEnforcement: String {
        if let tree = platform.cgroups, platform.runsAsRoot { return "enforced: \(tree.summary)" }
        if platform.cgroups != nil { return "not enforced: sprite-host does not run as root" }
        return "not enforced: " + (platform.cgroupsUnavailable ?? "no cgroups")
    }

    /// Kills everything (delete, host shutdown). Blocks until the processes are gone.
    func shutdown() {
        tasksServer?.cancel()
        for s in state.withLock({ Array($0.services.values) }) { s.stop(timeout: 0) }
        goCold()
    }

    /// Ends the sprite for good and removes its files: its processes first, then what it
    /// wrote (in a maintenance sandbox), then the host's own directories.
    func destroy() {
        state.withLock { $0.maintenance = "being deleted" }
        shutdown()
        let maintenance = MaintenanceSandbox(runtime: self)
        if let disk = layout.disk {
            disk.destroy()  // everything the sprite wrote goes with its file system
        } else {
            for dir in [layout.home, layout.tmp] { try? maintenance.remove(dir) }
        }
        try? maintenance.remove(layout.checkpoints)
        try? FileManager.default.removeItem(atPath: layout.dir)
    }
}
