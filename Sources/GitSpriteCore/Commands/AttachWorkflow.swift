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
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw SpriteError(
                "git sprite attach needs a terminal",
                hints: [
                    "see the agent's output instead: git sprite logs" + (argument.map { " " + shellQuote($0) } ?? ""),
                    "or print the equivalent command: git sprite attach --print",
                ])
        }
        let target = try SpriteTarget(context, sprite: argument)
        let (connection, name) = (target.connection, target.name)
        var rows: UInt16 = 24, cols: UInt16 = 80
        _ = git_sprite_window_size(STDOUT_FILENO, &rows, &cols)
        let request = ExecRequest(
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
        let stream: ExecStream
        do {
            // a sprite that restarted, or an agent that ended, leaves no session to join: the
            // agent comes back first (what `up` would do), and says so
            // (a sprite that is not there is said first, not after a promise to start its agent)
            guard try connection.client.getSprite(name) != nil else { throw target.missing }
            let agent = Agent(api: connection.client, sprite: name, settings: target.settings, context: context)
            if !agent.hasSession {
                context.terminal.note("note: the agent is not running in \(name); starting it again")
                _ = try agent.ensure(prompt: nil)
            }
            stream = try connection.liveClient().openExec(name, request)
        } catch APIError.http(let f) where f.status == 404 {
            throw target.missing
        } catch {
            throw connection.translate(error)
        }
        // sprite.notify.command hears of each change of the agent's state while attached
        let watcher = target.settings.notifyCommand.map { command in
            StateWatcher(api: connection.client, sprite: name, notifier: Notifier(command: command, context: context))
        }
        defer { watcher?.stop() }
        if !context.quiet {
            let how =
                key.map {
                    "Ctrl-" + String(UnicodeScalar($0 + 0x40)) + (insideTmux ? " (or Ctrl-b Ctrl-b d)" : " or Ctrl-b d")
                }
                ?? "Ctrl-b d"
            context.terminal.note("note: attached to \(name)'s agent; detach with \(how), and it keeps running")
        }
        let forwarder =
            target.settings.autoForward
            ? PortForwarder(
                connection: connection, sprite: name, context: context, announce: PortForwarder.rawTerminalLine)
            : nil
        defer { forwarder?.stop() }
        do {
            return try TerminalSession.run(stream, rows: rows, cols: cols, detachKey: key, onPort: forwarder?.handle)
        } catch {
            throw connection.translate(error)
        }
    }
}

/// Puts the terminal back if `attach` changed it; safe to call from a signal handler.
public func restoreTerminal() {
    git_sprite_restore_terminal()
}
