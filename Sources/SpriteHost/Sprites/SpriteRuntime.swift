import Foundation
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
    private let lock = NSLock()
    private(set) var status = "cold"
    private var lastActivity = Date.distantPast
    private var warmSince: Date?
    private var sessions: [String: ExecSession] = [:]
    /// Sessions counted against the limits but not yet in `sessions`.
    private var startingSessions = 0
    private var services: [String: ServiceRunner] = [:]
    private var connections = 0
    private var tasks: [String: (started: Date, expires: Date)] = [:]
    /// The running sandbox (nil while cold). Started on first use, under `sandboxLock`.
    private var instance: SandboxInstance?
    private let sandboxLock = NSLock()
    /// Set while the host changes the sprite's files (restore, delete): nothing of the sprite
    /// may run then, or it could rearrange those files under the host's feet.
    private var maintenance: String?
    /// The `/.sprite/api.sock` server.
    private var tasksServer: Task<Void, Never>?
    /// Called when the status changes, so the record's timestamps follow.
    var onStatusChange: (@Sendable (String) -> Void)?

    /// The host's count of running sessions.
    private let sessionBudget: SessionBudget

    /// The host's memory admission.
    private let memoryBudget: MemoryBudget

    init(record: SpriteRecord, layout: SpriteLayout, platform: HostPlatform, sessions: SessionBudget,
         memory: MemoryBudget, resolver: @escaping EgressProxy.Resolver) {
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
        lock.lock()
        let wasCold = status == "cold"
        lastActivity = Date()
        let changed = status != "running"
        status = "running"
        warmSince = nil
        let toStart = wasCold && maintenance == nil ? Array(services.values).filter { $0.shouldRun } : []
        lock.unlock()
        if changed { onStatusChange?("running") }
        if !toStart.isEmpty { Blocking.detach { for s in toStart { s.start() } } }
    }

    /// Runs `body` with every process of the sprite gone and none able to start (blocks: call
    /// through `Blocking`). Requests that would run something meanwhile get a 409.
    func underMaintenance<T>(_ what: String, _ body: () throws -> T) throws -> T {
        lock.lock()
        if let other = maintenance {
            lock.unlock()
            throw HostError.conflict("sprite \(name) is \(other)")
        }
        maintenance = what
        lock.unlock()
        defer {
            lock.lock()
            maintenance = nil
            lock.unlock()
        }
        goCold()
        return try body()
    }

    /// Counts a connected client; the sprite stays running while one is connected.
    func connect() { lock.lock(); connections += 1; lock.unlock(); wake() }
    func disconnect() { lock.lock(); connections -= 1; lastActivity = Date(); lock.unlock() }

    /// Advances running → warm → cold after idle windows.
    func tick(now: Date, warmAfter: TimeInterval, coldAfter: TimeInterval) {
        lock.lock()
        tasks = tasks.filter { $0.value.expires > now }
        let busy = connections > 0 || !tasks.isEmpty
            || sessions.values.contains { $0.exitCode == nil && $0.lastActivity > now.addingTimeInterval(-warmAfter) }
        if busy { lastActivity = now }
        var change: String?
        if status == "running", now.timeIntervalSince(lastActivity) >= warmAfter {
            status = "warm"
            warmSince = now
            change = "warm"
        } else if status == "warm", let since = warmSince, now.timeIntervalSince(since) >= coldAfter {
            change = "cold"
        }
        lock.unlock()
        if change == "cold" { Blocking.detach { self.goCold() } } else if let change { onStatusChange?(change) }
    }

    /// Stops the VM: every process dies (PID 1 of the sprite takes its whole PID namespace
    /// with it), services are remembered and start again on wake. Blocks until they are gone.
    func goCold() {
        lock.lock()
        status = "cold"
        warmSince = nil
        let allServices = Array(services.values)
        lock.unlock()
        for s in allServices { s.kill() }
        sandboxLock.lock()
        let running = instance
        instance = nil
        sandboxLock.unlock()
        network.detach()
        running?.stop()
        memoryBudget.release(name)
        lock.lock()
        let allSessions = Array(sessions.values)
        lock.unlock()
        for s in allSessions { s.process?.signal(SIGKILL) }
        onStatusChange?("cold")
    }

    /// The host's PID of the sprite's init while it runs (its namespaces are /proc/PID/ns).
    var runningInitPID: pid_t? {
        sandboxLock.lock()
        defer { sandboxLock.unlock() }
        guard let running = instance, running.isRunning else { return nil }
        return running.initPID
    }

    /// The running sandbox, started if needed (blocks: call through `Blocking`).
    func sandbox() throws -> SandboxInstance {
        sandboxLock.lock()
        defer { sandboxLock.unlock() }
        lock.lock()
        let busy = maintenance
        lock.unlock()
        if let busy { throw HostError.conflict("sprite \(name) is \(busy); try again in a moment") }
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
            started = try SandboxInstance.start(SandboxProfile(name: name, layout: layout, platform: platform,
                                                               account: account, cgroups: cgroups))
        } catch {
            memoryBudget.release(name)
            throw error
        }
        network.attach(started)
        instance = started
        return started
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

    // MARK: processes

    /// Environment every process in the sprite starts with; `extra` (`K=V`) entries win.
    func environment(_ extra: [String], tty: Bool) -> [String] {
        var env: [String: String] = [
            "PATH": "/home/sprite/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/home/sprite", "USER": "sprite", "LOGNAME": "sprite", "SHELL": "/bin/bash",
            "LANG": "C.UTF-8", "SPRITE_NAME": name, "TMPDIR": "/tmp",
        ]
        for entry in network.environment() {
            if let eq = entry.firstIndex(of: "=") { env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...]) }
        }
        if tty { env["TERM"] = "xterm-256color" }
        for entry in extra {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return env.map { "\($0.key)=\($0.value)" }.sorted()
    }

    /// Starts a command in the sprite as a session (blocks: call through `Blocking`). The
    /// owner's subscription is made before the process starts, so not one byte of early output
    /// (a git advertisement, a prompt) is lost to the client that asked for it.
    func startSession(command: [String], path: String?, environment extra: [String], directory: String,
                      tty: Bool, rows: UInt16, cols: UInt16, maxRunAfterDisconnect: TimeInterval?)
        throws -> (ExecSession, owner: SessionSubscription) {
        wake()
        let argv0 = path ?? command.first ?? "bash"
        var argv = command.isEmpty ? [argv0] : command
        argv[0] = argv0
        let session = ExecSession(command: argv.joined(separator: " "), workdir: directory, tty: tty,
                                  maxRunAfterDisconnect: maxRunAfterDisconnect)
        let box = try sandbox()
        let request = box.command(argv, directory: directory, environment: environment(extra, tty: tty),
                                  terminal: tty ? (rows, cols) : nil)
        lock.lock()
        let running = sessions.count + startingSessions
        do {
            try sessionBudget.take(sprite: name, running: running)
        } catch {
            lock.unlock()
            throw error
        }
        startingSessions += 1
        lock.unlock()
        let owner = session.subscribe(replay: false, owner: true)
        let budget = sessionBudget
        do {
            try session.start(request) { [weak self] s, _ in
                budget.give()
                self?.removeSession(s.id)
            }
        } catch {
            lock.lock()
            startingSessions -= 1
            lock.unlock()
            budget.give()
            throw error
        }
        lock.lock()
        startingSessions -= 1
        // a command that already ended was removed before it could be added
        if session.exitCode == nil { sessions[session.id] = session }
        lock.unlock()
        return (session, owner)
    }

    /// Throws the refusal `startSession` would give now for want of room (the limits of
    /// `SessionBudget`, the host's memory for a sprite that must start), so a WebSocket request
    /// can get it as an HTTP answer (blocks: call through `Blocking`).
    func checkRoomForSession() throws {
        wake()
        _ = try sandbox()
        lock.lock()
        let running = sessions.count + startingSessions
        lock.unlock()
        try sessionBudget.check(sprite: name, running: running)
    }

    private func removeSession(_ id: String) {
        lock.lock()
        sessions.removeValue(forKey: id)
        lastActivity = Date()
        lock.unlock()
    }

    func session(_ id: String) -> ExecSession? {
        lock.lock()
        defer { lock.unlock() }
        return sessions[id]
    }

    var sessionList: [ExecSession] {
        lock.lock()
        defer { lock.unlock() }
        return sessions.values.filter { $0.exitCode == nil }.sorted { $0.created < $1.created }
    }

    // MARK: services

    func service(_ name: String) -> ServiceRunner? {
        lock.lock()
        defer { lock.unlock() }
        return services[name]
    }

    var serviceList: [ServiceRunner] {
        lock.lock()
        defer { lock.unlock() }
        return services.values.sorted { $0.spec.name < $1.spec.name }
    }

    /// Defines (or redefines) a service and returns its runner.
    func defineService(_ spec: ServiceSpec) -> ServiceRunner {
        lock.lock()
        if let existing = services[spec.name] {
            existing.update(spec)
            lock.unlock()
            return existing
        }
        let runner = ServiceRunner(spec: spec, layout: layout) { [weak self] spec, output, exit in
            guard let self else { throw HostError.notFound("sprite") }
            let env = self.environment((spec.env ?? [:]).map { "\($0.key)=\($0.value)" }, tty: false)
            let box = try self.sandbox()
            return try SpawnedProcess(box.command([spec.cmd] + spec.args, directory: spec.dir ?? "/home/sprite",
                                                  environment: env),
                                      onOutput: output, onExit: exit)
        }
        services[spec.name] = runner
        lock.unlock()
        return runner
    }

    func removeService(_ name: String) -> ServiceRunner? {
        lock.lock()
        defer { lock.unlock() }
        return services.removeValue(forKey: name)
    }

    // MARK: tasks (in-sprite API)

    /// Tasks a sprite may hold at once.
    static let taskLimit = 256

    /// Adds or renews a task; false when `create` finds it taken, or the sprite is at its limit.
    func putTask(_ name: String, expires: TimeInterval, create: Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if create, tasks[name] != nil { return false }
        if tasks[name] == nil, tasks.count >= Self.taskLimit { return false }
        let now = Date()
        tasks[name] = (tasks[name]?.started ?? now, now.addingTimeInterval(min(expires, 3600)))
        lastActivity = now
        if status != "running" { status = "running" }
        return true
    }

    func deleteTask(_ name: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return tasks.removeValue(forKey: name) != nil
    }

    var taskList: [TaskInfo] {
        lock.lock()
        defer { lock.unlock() }
        return tasks.sorted { $0.key < $1.key }.map {
            TaskInfo(name: $0.key, startedAt: Timestamp.format($0.value.started), expiresAt: Timestamp.format($0.value.expires))
        }
    }

    /// Kills everything (delete, host shutdown). Blocks until the processes are gone.
    func shutdown() {
        tasksServer?.cancel()
        lock.lock()
        let all = Array(services.values)
        lock.unlock()
        for s in all { s.stop(timeout: 0) }
        goCold()
    }

    /// Ends the sprite for good and removes its files: its processes first, then what it
    /// wrote (in a maintenance sandbox), then the host's own directories.
    func destroy() {
        lock.lock()
        maintenance = "being deleted"
        lock.unlock()
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
