import Foundation
import SpritesAPI

/// `git sprite shell` and `git sprite exec -t`: a command (a login shell by default) on a TTY
/// in the sprite, outside the agent's tmux: raw terminal, window size forwarded, the terminal
/// restored however it ends; its exit status is ours. While it runs, ports the sprite opens
/// are forwarded to this machine (`sprite.forward.auto`).
public enum ShellWorkflow {
    /// A login shell in the workspace (bash when the sprite has it), or home when there is no
    /// workspace yet.
    static let loginShell = [
        "sh", "-c",
        #"cd "$1" 2>/dev/null || cd; if command -v bash >/dev/null; then exec bash -l; else exec sh -l; fi"#,
        "shell", SpritePaths.workspace,
    ]

    public static func run(
        _ context: Context, sprite argument: String?, command: [String]? = nil,
        directory: String? = nil, input: Bool = true
    ) throws -> Int32 {
        if command == nil {
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
                throw SpriteError(
                    "git sprite shell needs a terminal",
                    hints: [
                        "run one command instead: git sprite exec -- CMD",
                        "or give it a terminal: git sprite exec -it -- bash -l",
                    ])
            }
        }
        let target = try SpriteTarget(context, sprite: argument)
        let (connection, name) = (target.connection, target.name)
        let (rows, cols) = TerminalSession.size()
        let request = ExecRequest(
            command: command ?? loginShell,
            environment: [
                "TERM": context.environment["TERM"] ?? "xterm-256color",
                "LANG": context.environment["LANG"] ?? "C.UTF-8",
                "PATH": "/home/sprite/.local/bin:/usr/local/bin:/usr/bin:/bin",
                "HOME": SpritePaths.home,
            ],
            directory: command == nil ? SpritePaths.home : (directory ?? SpritePaths.workspace),
            tty: true, rows: Int(rows), cols: Int(cols), stdin: input,
            maxRunAfterDisconnect: AttachWorkflow.orphanGrace)
        let stream: ExecStream
        do {
            stream = try connection.liveClient().openExec(name, request)
        } catch {
            throw target.execFailure(error, directory: request.directory)
        }
        let raw = input && isatty(STDIN_FILENO) == 1
        // a shell is where one runs servers; one command on a terminal (exec -t) forwards nothing
        let forwarder =
            command == nil && target.settings.autoForward
            ? PortForwarder(
                connection: connection, sprite: name, context: context,
                announce: raw ? PortForwarder.rawTerminalLine : nil) : nil
        defer { forwarder?.stop() }
        forwarder?.forwardWhatListensMeanwhile()
        do {
            return try TerminalSession.run(stream, rows: rows, cols: cols, input: input, onPort: forwarder?.handle)
        } catch {
            throw connection.translate(error)
        }
    }
}
