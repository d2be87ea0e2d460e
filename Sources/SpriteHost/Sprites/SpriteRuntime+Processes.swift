import Foundation
import SpriteSync
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

extension SpriteRuntime {
    // MARK: processes

    /// Environment every process in the sprite starts with; `extra` (`K=V`) entries win.
    func environment(_ extra: [String], tty: Bool) -> [String] {
        var env: [String: String] = [
            "PATH": "/home/sprite/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/home/sprite", "USER": "sprite", "LOGNAME": "sprite", "SHELL": "/bin/bash",
            "LANG": "C.UTF-8", "SPRITE_NAME": name, "TMPDIR": "/tmp",
        ]
        for entry in network.environment() {
            if let eq = entry.firstIndex(of: "=") {
                env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
            }
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
    func startSession(
        command: [String], path: String?, environment extra: [String], directory: String,
        tty: Bool, rows: UInt16, cols: UInt16, maxRunAfterDisconnect: TimeInterval?
    )
        throws -> (ExecSession, owner: SessionSubscription)
    {
        wake()
        let argv0 = path ?? command.first ?? "bash"
        var argv = command.isEmpty ? [argv0] : command
        argv[0] = argv0
        let session = ExecSession(
            command: argv.joined(separator: " "), workdir: directory, tty: tty,
            maxRunAfterDisconnect: maxRunAfterDisconnect)
        let box = try sandbox()
        let request = box.command(
            argv, directory: directory, environment: environment(extra, tty: tty),
            terminal: tty ? (rows, cols) : nil)
        try state.withLock { state in
            try sessionBudget.take(sprite: name, running: state.sessions.count + state.startingSessions)
            state.startingSessions += 1
        }
        let owner = session.subscribe(replay: false, owner: true)
        let budget = sessionBudget
        do {
            try session.start(request) { [weak self] s, _ in
                budget.give()
                self?.removeSession(s)
            }
        } catch {
            state.withLock { $0.startingSessions -= 1 }
            budget.give()
            throw error
        }
        state.withLock { state in
            state.startingSessions -= 1
            // a command that already ended was removed before it could be added
            guard session.exitCode == nil else { return }
            // PIDs of two numberings (the sprite's, the host's for a terminal's command), or
            // one reused while an ended session still drains: the listed one keeps its id
            let pid = session.id
            var n = 1
            while let other = state.sessions[session.id], other !== session {
                n += 1
                session.rename("\(pid)-\(n)")
            }
            state.sessions[session.id] = session
        }
        return (session, owner)
    }

    /// Throws the refusal `startSession` would give now for want of room (the limits of
    /// `SessionBudget`, the host's memory for a sprite that must start), so a WebSocket request
    /// can get it as an HTTP answer (blocks: call through `Blocking`).
    func checkRoomForSession() throws {
        wake()
        _ = try sandbox()
        let running = state.withLock { $0.sessions.count + $0.startingSessions }
        try sessionBudget.check(sprite: name, running: running)
    }

    private func removeSession(_ session: ExecSession) {
        state.withLock { state in
            if state.sessions[session.id] === session { state.sessions.removeValue(forKey: session.id) }
            state.lastActivity = Date()
        }
    }

    func session(_ id: String) -> ExecSession? {
        state.withLock { $0.sessions[id] }
    }

    var sessionList: [ExecSession] {
        state.withLock { $0.sessions.values }.filter { $0.exitCode == nil }.sorted { $0.created < $1.created }
    }
}
