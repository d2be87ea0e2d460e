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

    public static func run(_ context: Context, sprite argument: String?) throws -> Int32 {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw SpriteError("git sprite attach needs a terminal",
                              hints: ["see the agent's output instead: git sprite exec -- tmux -S \(Agent.socket) capture-pane -p",
                                      "or print the equivalent command: git sprite attach --print"])
        }
        let target = try SpriteTarget(context, sprite: argument)
        let (connection, name) = (target.connection, target.name)
        var rows: UInt16 = 24, cols: UInt16 = 80
        _ = git_sprite_window_size(STDOUT_FILENO, &rows, &cols)
        let request = ExecRequest(command: ["tmux", "-S", Agent.socket, "attach", "-t", "=" + name],
                                  environment: ["TERM": context.environment["TERM"] ?? "xterm-256color",
                                                "LANG": context.environment["LANG"] ?? "C.UTF-8",
                                                "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": SpritePaths.home],
                                  directory: SpritePaths.home, tty: true, rows: Int(rows), cols: Int(cols), stdin: true,
                                  // a TTY session outlives a dropped connection forever by default: a
                                  // `tmux attach` nobody sees would be left behind for every drop
                                  maxRunAfterDisconnect: Self.orphanGrace)
        let stream: ExecStream
        do {
            // a sprite that restarted, or an agent that ended, leaves no session to join: the
            // agent comes back first (what `up` would do), and says so
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
        guard git_sprite_raw_terminal(STDIN_FILENO) == 0 else {
            stream.close()
            throw SpriteError("cannot put the terminal in raw mode")
        }
        // every way out puts the terminal back: normal return, errors, and these signals
        defer { git_sprite_restore_terminal() }
        for sig in [SIGTERM, SIGHUP, SIGQUIT] {
            signal(sig) { s in
                git_sprite_restore_terminal()
                signal(s, SIG_DFL)
                raise(s)
            }
        }
        let done = DispatchSemaphore(value: 0)
        let (startRows, startCols) = (rows, cols)
        let input = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var lastRows = startRows, lastCols = startCols
            while true {
                var pfd = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, 200)
                if done.wait(timeout: .now()) == .success { return }
                var r: UInt16 = 0, c: UInt16 = 0
                if git_sprite_window_size(STDOUT_FILENO, &r, &c) == 0, (r, c) != (lastRows, lastCols) {
                    (lastRows, lastCols) = (r, c)
                    try? stream.resize(rows: Int(r), cols: Int(c))
                }
                guard ready > 0 else { continue }
                let n = read(STDIN_FILENO, &buffer, buffer.count)
                if n <= 0 { return }
                if (try? stream.write(Data(buffer[0..<n]))) == nil { return }
            }
        }
        input.start()
        defer { done.signal() }
        // sprite.notify.command hears of each change of the agent's state while attached
        let watcher = target.settings.notifyCommand.map { command in
            StateWatcher(api: connection.client, sprite: name, notifier: Notifier(command: command, context: context))
        }
        defer { watcher?.stop() }
        do {
            // a TTY merges both streams; the terminal gets everything
            let code = try stream.relay(stdout: { writeAll(STDOUT_FILENO, $0) }, stderr: { writeAll(STDOUT_FILENO, $0) })
            stream.close()
            return code
        } catch {
            throw connection.translate(error)
        }
    }
}

/// Puts the terminal back if `attach` changed it; safe to call from a signal handler.
public func restoreTerminal() {
    git_sprite_restore_terminal()
}
