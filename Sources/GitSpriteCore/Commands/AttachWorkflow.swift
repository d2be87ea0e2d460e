import CTerminal
import Foundation
import SpritesAPI

/// `git sprite attach`: the agent's tmux session in this terminal over the exec WebSocket, in
/// raw mode, window-size changes forwarded, and the terminal restored on every way out.
public enum AttachWorkflow {
    /// How long the sprite keeps the attaching `tmux attach` after the connection drops (the
    /// agent's own session is not touched): `max_run_after_disconnect` of the TTY exec.
    static let orphanGrace = "10s"
    /// The command that does the same with the `sprite` CLI.
    public static func printable(_ context: Context, sprite argument: String?) throws -> String {
        let repo = try? RepositoryLocator.primary(context)
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        let name = try SpriteResolver.resolve(argument, context, repository: repo, settings: settings)
        return "sprite exec -s \(shellQuote(name)) --tty -- tmux -S \(Agent.socket) attach -t \(shellQuote("=" + name))"
    }

    /// `detachKey`: `ctrl-]`, …, or `none`; nil: Ctrl-] when this terminal is inside tmux
    /// (`$TMUX`), whose own Ctrl-b would detach the user's session instead of the sprite's.
    public static func run(_ context: Context, sprite argument: String?, detachKey: String? = nil) throws -> Int32 {
        let insideTmux = !(context.environment["TMUX"] ?? "").isEmpty
        let key = try detachKey.map(TerminalSession.detachKey) ?? (insideTmux ? 0x1d : nil)
        try requireTerminal(sprite: argument)
        let target = try SpriteTarget(context, sprite: argument)
        let (connection, name) = (target.connection, target.name)
        var rows: UInt16 = 24
        var cols: UInt16 = 80
        _ = git_sprite_window_size(STDOUT_FILENO, &rows, &cols)
        let stream = try open(target, context, request: request(context, name: name, rows: rows, cols: cols))
        // sprite.notify.command hears of each change of the agent's state while attached
        let watcher = target.settings.notifyCommand.map { command in
            StateWatcher(api: connection.client, sprite: name, notifier: Notifier(command: command, context: context))
        }
        defer { watcher?.stop() }
        if !context.quiet {
            context.terminal.note(
                "note: attached to \(name)'s agent; detach with \(detachHint(key, insideTmux: insideTmux)), "
                    + "and it keeps running")
        }
        let forwarder =
            target.settings.autoForward
            ? PortForwarder(
                connection: connection, sprite: name, context: context, announce: PortForwarder.rawTerminalLine)
            : nil
        defer { forwarder?.stop() }
        forwarder?.forwardWhatListensMeanwhile()
        do {
            return try TerminalSession.run(stream, rows: rows, cols: cols, detachKey: key, onPort: forwarder?.handle)
        } catch {
            throw connection.translate(error)
        }
    }

    /// Refuses, with what to do instead, when stdin or stdout is not a terminal.
    static func requireTerminal(sprite argument: String?) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw SpriteError(
                "git sprite attach needs a terminal",
                hints: [
                    "see the agent's output instead: git sprite logs"
                        + SpriteTarget.hintOperand(argument, resolved: nil),
                    "or print the equivalent command: git sprite attach --print",
                ])
        }
    }

    /// `tmux attach` to the agent's session, in a TTY of this terminal's size.
    static func request(_ context: Context, name: String, rows: UInt16, cols: UInt16) -> ExecRequest {
        ExecRequest(
            command: ["tmux", "-S", Agent.socket, "attach", "-t", "=" + name],
            environment: [
                "TERM": context.environment["TERM"] ?? "xterm-256color",
                "LANG": context.environment["LANG"] ?? "C.UTF-8",
                "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": SpritePaths.home,
            ],
            directory: SpritePaths.home, tty: true, rows: Int(rows), cols: Int(cols), stdin: true,
            // a TTY session outlives a dropped connection forever by default: a
            // `tmux attach` nobody sees would be left behind for every drop
            maxRunAfterDisconnect: Self.orphanGrace)
    }

    /// Opens the attaching exec. A sprite that restarted, or an agent that ended, leaves no
    /// session to join: the agent comes back first (what `up` would do), and says so; a
    /// sprite that is not there is said first, not after a promise to start its agent.
    static func open(_ target: SpriteTarget, _ context: Context, request: ExecRequest) throws -> ExecStream {
        let (connection, name) = (target.connection, target.name)
        do {
            guard try connection.client.getSprite(name) != nil else { throw target.missing }
            let agent = Agent(api: connection.client, sprite: name, settings: target.settings, context: context)
            if !agent.hasSession {
                context.terminal.note("note: the agent is not running in \(name); starting it again")
                _ = try agent.ensure(prompt: nil)
            }
            return try connection.liveClient().openExec(name, request)
        } catch APIError.http(let f) where f.status == 404 {
            throw target.missing
        } catch {
            throw connection.translate(error)
        }
    }

    /// How to detach, as the note on attaching says it.
    static func detachHint(_ key: UInt8?, insideTmux: Bool) -> String {
        key.map { "Ctrl-" + String(UnicodeScalar($0 + 0x40)) + (insideTmux ? " (or Ctrl-b Ctrl-b d)" : " or Ctrl-b d") }
            ?? "Ctrl-b d"
    }
}

/// Puts the terminal back if `attach` changed it; safe to call from a signal handler.
public func restoreTerminal() {
    git_sprite_restore_terminal()
}
