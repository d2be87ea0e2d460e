import ArgumentParser
import GitSpriteCore

struct Host: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Start, see or stop the local sprite-host that --local uses.",
        discussion: """
            git sprite up --local (or sprite.api=local) starts a sprite-host of your own, \
            listening on a socket under $XDG_STATE_HOME/git-sprite, and leaves it running. \
            'host start' starts it now (and says where it is when it already runs); \
            'host status' says whether it runs, where its socket, state and log are, and how \
            many sprites it holds, and exits 3 when it does not run; 'host stop' stops it \
            cleanly: every process of its sprites ends, their files stay, and the next \
            git sprite up --local brings them back.

            Examples:
              git sprite host start
              git sprite host status || echo "not running"
              git sprite host stop
            """,
        subcommands: [HostStart.self, HostStatus.self, HostStop.self]
    )
}

struct HostStatus: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Say whether the local sprite-host runs.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    func run(_ context: Context) throws {
        let status = LocalHostManager.status(context)
        context.terminal.out(json ? try JSONOutput.encode(status) : status.text)
        // scripts ask `git sprite host status || git sprite host start`
        if !status.running { throw ExitCode(ExitStatus.notFound.rawValue) }
    }
}

struct HostStart: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Start the local sprite-host (nothing to do when it runs).")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    func run(_ context: Context) throws {
        _ = try LocalHostManager.ensure(context)
        let status = LocalHostManager.status(context)
        if json {
            context.terminal.out(try JSONOutput.encode(status))
        } else if !context.quiet {
            context.terminal.out(status.text)
        }
    }
}

struct HostStop: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop the local sprite-host; its sprites' files are kept.")

    @OptionGroup var global: GlobalOptions

    func run(_ context: Context) throws {
        let message = try LocalHostManager.stop(context)
        if !context.quiet { context.terminal.note(message) }
    }
}
