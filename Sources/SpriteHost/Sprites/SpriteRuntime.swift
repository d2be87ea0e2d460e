import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The live side of one sprite: its sessions, services, tasks and running/warm/cold status.
final class SpriteRuntime: @unchecked Sendable {
    let name: String
    let layout: SpriteLayout
    private let host: HostIdentity
    private let lock = NSLock()
    private(set) var status = "cold"
    private var lastActivity = Date.distantPast
    private var warmSince: Date?
    private var sessions: [String: ExecSession] = [:]
    private var services: [String: ServiceRunner] = [:]
    private var connections = 0
    private var tasks: [String: (started: Date, expires: Date)] = [:]
    var blockNetwork = false
    /// Holds the sprite's PID namespace open (root only); its death ends every process in it.
    private var holder: SpawnedProcess?
    private var namespacePid: Int32?
    private let namespaceLock = NSLock()
    /// The `/.sprite/api.sock` server, started by the host's ticker.
    var tasksServer: Task<Void, Never>?
    /// Called when the status changes, so the record's timestamps follow.
    var onStatusChange: (@Sendable (String) -> Void)?

    init(name: String, layout: SpriteLayout, host: HostIdentity) {
        self.name = name
        self.layout = layout
        self.host = host
    }

    // MARK: lifecycle

    /// Any API call wakes the sprite: a cold sprite starts its services again.
    func wake() {
        lock.lock()
        let wasCold = status == "cold"
        lastActivity = Date()
        let changed = status != "running"
        status = "running"
        warmSince = nil
        let toStart = wasCold ? Array(services.values).filter { $0.shouldRun } : []
        lock.unlock()
        if changed { onStatusChange?("running") }
        for s in toStart { s.start() }
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
        if change == "cold" { goCold() } else if let change { onStatusChange?(change) }
    }

    /// Stops the VM: every process dies, services are remembered and start again on wake.
    func goCold() {
        lock.lock()
        status = "cold"
        warmSince = nil
        let allSessions = Array(sessions.values)
        let allServices = Array(services.values)
        lock.unlock()
        for s in allServices { s.kill() }
        for s in allSessions { s.process?.signal(SIGKILL) }
        lock.lock()
        let h = holder
        holder = nil
        namespacePid = nil
        lock.unlock()
        h?.signal(SIGKILL)
        killStragglers()
        onStatusChange?("cold")
    }

    /// Kills processes that left their session (daemons such as a tmux server): every process
    /// started in this sprite carries a marker in its environment.
    func killStragglers() {
        let marker = Array("\(HostIdentity.markerName)=\(host.marker(for: name))".utf8)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid() else { continue }
            guard let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let vars = [UInt8](environ).split(separator: 0)
            if vars.contains(where: { Array($0) == marker }) { kill(pid, SIGKILL) }
        }
    }

    // MARK: processes

    /// Environment every process in the sprite starts with; `extra` (`K=V`) entries win.
    func environment(_ extra: [String], tty: Bool) -> [String] {
        var env: [String: String] = [
            "PATH": "/home/sprite/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/home/sprite", "USER": "sprite", "LOGNAME": "sprite", "SHELL": "/bin/bash",
            "LANG": "C.UTF-8", "SPRITE_NAME": name, "TMPDIR": "/tmp",
            HostIdentity.markerName: host.marker(for: name),
        ]
        if tty { env["TERM"] = "xterm-256color" }
        for entry in extra {
            guard let eq = entry.firstIndex(of: "="), entry[..<eq] != HostIdentity.markerName else { continue }
            env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return env.map { "\($0.key)=\($0.value)" }.sorted()
    }

    func sandbox(joined: Bool) -> SandboxProfile {
        lock.lock()
        defer { lock.unlock() }
        return SandboxProfile(layout: layout, blockNetwork: blockNetwork, bwrap: host.bwrap, inSpriteNamespace: joined)
    }

    /// The command prefix that runs a process inside the sprite's own PID namespace:
    /// `nsenter -t <pid> -p --`. A holder process (`bwrap --unshare-pid … sleep infinity`)
    /// keeps the namespace alive between commands, so daemons such as tmux outlive the exec
    /// that started them, sprites cannot see or signal each other's processes, and killing
    /// the holder ends everything (a cold sprite). Needs root; otherwise processes share the
    /// host's PID namespace and are found by their environment marker.
    func namespacePrefix() throws -> [String] {
        guard geteuid() == 0, let nsenter = host.nsenter else { return [] }
        namespaceLock.lock()
        defer { namespaceLock.unlock() }
        lock.lock()
        if let pid = namespacePid, holder?.isRunning == true {
            lock.unlock()
            return [nsenter, "-t", String(pid), "-p", "-m", "--"]
        }
        lock.unlock()
        let env = environment([], tty: false)
        let h = try SpawnedProcess(
            argv: [host.bwrap, "--unshare-pid", "--as-pid-1", "--die-with-parent", "--bind", "/", "/",
                   "--proc", "/proc", "--dev-bind", "/dev", "/dev", "--"] + host.initCommand,
            environment: env, directory: "/", tty: false, onOutput: { _, _ in }, onExit: { _ in })
        // bwrap's child is PID 1 of the new namespace (our reaper); wait until it exists
        // and has finished building its mounts, which is when it has become the reaper: joining
        // its mount namespace any earlier would see a half-built root
        var inner: Int32?
        for _ in 0..<400 {
            let children = (try? String(contentsOfFile: "/proc/\(h.pid)/task/\(h.pid)/children", encoding: .utf8)) ?? ""
            if let first = children.split(separator: " ").first.flatMap({ Int32($0) }),
               (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(first)/exe")) == host.initCommand[0] {
                inner = first
                break
            }
            usleep(5_000)
        }
        guard let inner else {
            h.signal(SIGKILL)
            throw HostError.internalError("cannot create the sprite's PID namespace")
        }
        lock.lock()
        holder = h
        namespacePid = inner
        lock.unlock()
        return [nsenter, "-t", String(inner), "-p", "-m", "--"]
    }

    /// Starts a command in the sandbox as a session. The owner's subscription is made before
    /// the process starts, so not one byte of early output (a git advertisement, a prompt) is
    /// lost to the client that asked for it.
    func startSession(command: [String], path: String?, environment extra: [String], directory: String,
                      tty: Bool, rows: UInt16, cols: UInt16, maxRunAfterDisconnect: TimeInterval?)
        throws -> (ExecSession, owner: (UUID, AsyncStream<SessionEvent>)) {
        wake()
        let argv0 = path ?? command.first ?? "bash"
        var argv = command.isEmpty ? [argv0] : command
        argv[0] = argv0
        let session = ExecSession(command: argv.joined(separator: " "), workdir: directory, tty: tty,
                                  maxRunAfterDisconnect: maxRunAfterDisconnect)
        let env = environment(extra, tty: tty)
        let prefix = try namespacePrefix()
        let full = prefix + sandbox(joined: !prefix.isEmpty).argv(command: argv, directory: directory)
        let owner = session.subscribe(replay: false)
        try session.start(argv: full, environment: env, rows: rows, cols: cols) { [weak self] s, _ in
            self?.removeSession(s.id)
        }
        lock.lock()
        sessions[session.id] = session
        lock.unlock()
        return (session, owner)
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
        let runner = ServiceRunner(spec: spec, logPath: layout.dot + "/logs/services/\(spec.name).log") {
            [weak self] spec, output, exit in
            guard let self else { throw HostError.notFound("sprite") }
            let env = self.environment((spec.env ?? [:]).map { "\($0.key)=\($0.value)" }, tty: false)
            let dir = spec.dir ?? "/home/sprite"
            let prefix = try self.namespacePrefix()
            let argv = prefix + self.sandbox(joined: !prefix.isEmpty)
                .argv(command: [spec.cmd] + spec.args, directory: dir)
            return try SpawnedProcess(argv: argv, environment: env, directory: nil, tty: false,
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

    func putTask(_ name: String, expires: TimeInterval, create: Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if create, tasks[name] != nil { return false }
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

    var taskList: [[String: Any]] {
        lock.lock()
        defer { lock.unlock() }
        return tasks.sorted { $0.key < $1.key }.map {
            ["name": $0.key, "started_at": Timestamp.format($0.value.started),
             "expires_at": Timestamp.format($0.value.expires)]
        }
    }

    /// Kills everything (delete, restore).
    func shutdown() {
        tasksServer?.cancel()
        goCold()
        lock.lock()
        let all = Array(services.values)
        lock.unlock()
        for s in all { s.stop(timeout: 0) }
    }
}

/// Identifies this host's processes: a marker `SPRITE_HOST_MARK=<host id>:<sprite>` in the
/// environment of everything a sprite runs.
struct HostIdentity: Sendable {
    static let markerName = "SPRITE_HOST_MARK"
    let id: String
    let bwrap: String
    let nsenter: String?
    /// PID 1 of each sprite's namespace (`sprite-host reap`).
    let initCommand: [String]

    func marker(for sprite: String) -> String { "\(id):\(sprite)" }
}
