import ArgumentParser
import Foundation
import GitSpriteCore
import SpriteWire

/// The root command: `git sprite <command>`.
struct GitSprite: ParsableCommand {
    static let version = Product.version

    static let configuration = CommandConfiguration(
        commandName: "git sprite",
        abstract: "Give every git branch its own cloud sandbox with a coding agent in it.",
        discussion: """
            git sprite runs as a git subcommand. Settings live in git config (sprite.*) and in \
            $XDG_CONFIG_HOME/git-sprite/config.toml; see 'git sprite config'.

            Examples:
              git sprite plan                 # what 'up' would ship, changing nothing
              git sprite link ../tools        # also put ../tools in this repo's sprites
              git -c sprite.resources.cpu=4 sprite config

            'git sprite --version' prints the version.
            """,
        subcommands: [
            Plan.self, Up.self, Attach.self, Shell.self, Status.self, Exec.self, Forward.self, URLCommand.self, Cp.self,
            Fetch.self, Diff.self, Log.self, Apply.self, Wait.self, Logs.self,
            CheckpointCommand.self, Restore.self, Host.self, Cost.self, Prune.self,
            Down.self, Link.self, Unlink.self, Config.self,
        ]
    )
}

/// A command that takes the global flags (every one does) and runs with the `Context` they make.
protocol GlobalCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func run(_ context: Context) throws
}

extension GlobalCommand {
    func run() throws { try run(global.context()) }

    /// A command that acts reports its document on stdout with `--json`, else its notes on
    /// stderr (none with `-q`).
    func report(_ outcome: some ActionOutput, json: Bool, _ context: Context) throws {
        if json {
            context.terminal.out(try JSONOutput.encode(outcome))
        } else if !context.quiet {
            outcome.notes.forEach(context.terminal.note)
        }
    }
}

/// The sprite a command acts on, by branch or by name.
struct SpriteArgument: ParsableArguments {
    @Argument(help: "A branch of this repository or a sprite name (default: the current branch's sprite).")
    var sprite: String?
}

/// Flags every command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Show low-level detail (libgit2, HTTP) with errors and progress.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Print only essential output.")
    var quiet = false

    func context() -> Context {
        // (the environment as the context reads it, once)
        var context = Context.process(quiet: quiet)
        context.verbose = verbose || context.environment["GIT_SPRITE_TRACE"] == "1"
        return context
    }
}
