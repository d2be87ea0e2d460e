import Foundation
import SpriteGit
import SpritesAPI

/// `git sprite exec`: runs a command in the sprite's workspace; the remote exit status is ours.
public enum ExecWorkflow {
    /// `tty` (`-t`): on a terminal in the sprite (`ShellWorkflow`); `interactive` (`-i`):
    /// stdin is forwarded even when it is a terminal (without it, only when it is not).
    public static func run(
        _ context: Context, sprite argument: String?, command: [String],
        directory: String?, tty: Bool = false, interactive: Bool = false
    ) throws -> Int32 {
        if directory?.isEmpty == true {
            throw SpriteError(
                "--dir is empty", hints: ["name a directory in the sprite, or leave --dir out for the workspace"],
                status: .usage)
        }
        // the command travels in the request's address: past what a service takes it hung for
        // 30 s, then blamed the connection (an adversarial review)
        let length = ExecRequest(command: command, directory: directory).encodedQueryLength
        if length > ExecRequest.longestQuery {
            throw SpriteError(
                "the command is too long to send: \(length >> 10) KiB once encoded, at most \(ExecRequest.longestQuery >> 10) KiB",
                hints: [
                    "pass the long part on the command's stdin: printf '%s' \"$TEXT\" | git sprite exec -- sh -c 'text=$(cat); …'"
                ],
                status: .usage)
        }
        if tty {
            return try ShellWorkflow.run(
                context, sprite: argument, command: command, directory: directory,
                input: interactive || isatty(STDIN_FILENO) != 1)
        }
        let target = try SpriteTarget(context, sprite: argument)
        let (connection, name) = (target.connection, target.name)
        let stdinIsTerminal = isatty(STDIN_FILENO) == 1 && !interactive
        // the command ends a second after its stream does (the service's default is 10 s): no
        // command of ours attaches to it again, and whatever ended us without a word to the
        // sprite (SIGKILL, a crash, a signal while the request was on its way) would otherwise
        // leave it running that long
        let request = ExecRequest(
            command: command, directory: directory ?? SpritePaths.workspace,
            stdin: !stdinIsTerminal, maxRunAfterDisconnect: "1s")
        let terminal = context.terminal
        interruptLeavesACommandInTheSprite()
        let forwarding = InterruptForwarding(client: connection.client, sprite: name)
        forwarding.start()
        defer { forwarding.stop() }
        let status: Int32
        do {
            status = try connection.client.exec(
                name, request, input: stdinIsTerminal ? nil : FileHandle.standardInput,
                inputData: nil, stdout: { terminal.out($0) }, stderr: { terminal.err($0) },
                opened: forwarding.opened)
        } catch {
            throw target.execFailure(error, directory: request.directory)
        }
        // a Ctrl-C that ended the command ends us as it ended the command, as it would have
        // here: a shell loop around us stops (bash goes on past a command that exits 130, taking
        // the Ctrl-C as handled); a status the command chose (a trap's) is its own business
        if status == 128 + SIGINT && forwarding.passedInterrupt {
            forwarding.stop()
            terminal.flush()
            Termination.endByInterrupt()
        }
        return status
    }
}
