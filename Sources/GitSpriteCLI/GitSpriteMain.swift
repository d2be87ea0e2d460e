import ArgumentParser
import Foundation
import GitSpriteCore

/// The entry point of `git-sprite`, and the one place where errors become exit codes.
public enum GitSpriteMain {
    /// The arguments as the parser takes them: `prune --merged=BRANCH` (an option whose value
    /// may be left out, which swift-argument-parser cannot declare) becomes `--merged BRANCH`.
    public static func arguments(_ args: [String]) -> [String] {
        guard let command = args.firstIndex(where: { !$0.hasPrefix("-") }), args[command] == "prune" else {
            return args
        }
        var out: [String] = []
        for (i, arg) in args.enumerated() {
            if i > command, arg.hasPrefix("--merged="), !args[command..<i].contains("--") {
                out += ["--merged", String(arg.dropFirst("--merged=".count))]
            } else {
                out.append(arg)
            }
        }
        return out
    }

    public static func run() -> Never {
        let arguments = Self.arguments(Array(CommandLine.arguments.dropFirst()))
        // the root's own flag, before anything else starts (start-up is what `--version` measures)
        if arguments == ["--version"] {
            print(GitSprite.version)
            exit(ExitStatus.success.rawValue)
        }
        // Ctrl-C: nothing of ours needs undoing (every command converges when run again), so
        // say so and end by SIGINT itself, as git does once it has cleaned up: a shell shows
        // 130, and a shell loop around us stops (bash goes on when its child exits 130, taking
        // the Ctrl-C as the child's own business); the git processes we started stop too.
        // Through `git sprite`, git is interrupted too and ends the same way. (Set even when we were started
        // with SIGINT ignored, unlike SIGTERM's and SIGHUP's: keeping it ignored made one CI
        // run's Ctrl-C test see an `up` that went on to its end, and nothing in the test's own
        // chain of processes ignores SIGINT; until that is understood, Ctrl-C always stops us.)
        Self.handleInterrupt()
        Termination.install()
        Termination.exit(execute(arguments, context: .process()))
    }

    private static func handleInterrupt() {
        signal(SIGINT) { _ in
            // (exec: the command in the sprite takes it; see InterruptForwarding)
            if passInterruptToTheSprite() { return }
            let paged = Termination.windDown(passing: SIGINT)
            // (logs -f, forward: Ctrl-C is how they end, so nothing needs saying; nor when the
            // pager had what the command showed)
            if !interruptIsTheEnd() && !paged {
                let message =
                    interruptLeavesACommand()
                    ? "\ninterrupted; the command in the sprite ends a second after its connection\n"
                    : "\ninterrupted; run the command again to finish\n"
                _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
            // (blocked while this handler runs: it ends the process as the handler returns)
            signal(SIGINT, SIG_DFL)
            raise(SIGINT)
        }
    }

    /// Parses `arguments` and runs the command in `context`, writing only to its terminal, and
    /// returns the exit status: the whole of `git sprite` but the process around it (what
    /// `GitSpriteCLITests` run in-process).
    public static func execute(_ arguments: [String], context: Context) -> Int32 {
        let terminal = context.terminal
        defer { terminal.flush() }
        // the root's own flag, as `git --version` (declared to the parser, it would be listed
        // under every subcommand, where it means nothing)
        if arguments == ["--version"] {
            terminal.out(GitSprite.version + "\n")
            return ExitStatus.success.rawValue
        }
        // plain `plan` and `exec`, read without the parser's reflection (see QuickArguments)
        if let plan = QuickArguments(arguments, .plan) {
            return perform(context, plan, type: Plan.self) {
                try Plan.show($0, json: plan.flags.contains("json"), name: plan.options["name"])
            }
        }
        if let exec = QuickArguments(arguments, .exec) {
            return perform(context, exec, type: Exec.self) {
                try Exec.perform(
                    $0, sprite: exec.positional, command: exec.rest, directory: exec.options["dir"],
                    tty: exec.flags.contains("tty"), interactive: exec.flags.contains("interactive"))
            }
        }
        var parsed: ParsableCommand
        do {
            parsed = try GitSprite.parseAsRoot(arguments)
        } catch {
            // help as swift-argument-parser renders it; usage errors (exit 64) in git's words,
            // with a near name for a mistyped command
            return UsageErrors.report(error, arguments: arguments, to: terminal)
        }
        guard let command = parsed as? GlobalCommand else {
            // `help <words>`: swift-argument-parser shows the root's help for words that name
            // no command; say so as for a mistyped command instead
            if arguments.first == "help",
                let unknown = UsageErrors.unknownCommand(in: Array(arguments.dropFirst()))
            {
                terminal.err(Data(UsageErrors.render(unknown).utf8))
                return ExitStatus.usage.rawValue
            }
            // a command of swift-argument-parser's own (help): it runs and ends its way
            do {
                try parsed.run()
                return ExitStatus.success.rawValue
            } catch {
                return UsageErrors.parserEnding(error, to: terminal)
            }
        }
        // verbosity as the parser read it: `git sprite exec -- grep -v x` is not verbose
        return perform(context, verbose: command.global.verbose, quiet: command.global.quiet, type: type(of: command)) {
            try command.run($0)
        }
    }

    /// `perform` for arguments read by `QuickArguments`.
    static func perform(
        _ context: Context, _ quick: QuickArguments, type: ParsableCommand.Type, _ body: (Context) throws -> Void
    ) -> Int32 {
        perform(
            context, verbose: quick.flags.contains("verbose"), quiet: quick.flags.contains("quiet"), type: type, body)
    }

    /// Runs a command whose arguments are read, and turns what it throws into the exit status.
    static func perform(
        _ context: Context, verbose: Bool, quiet: Bool, type: ParsableCommand.Type, _ body: (Context) throws -> Void
    ) -> Int32 {
        let terminal = context.terminal
        var context = context
        context.verbose = verbose || context.environment["GIT_SPRITE_TRACE"] == "1"
        context.quiet = quiet
        do {
            try body(context)
            return ExitStatus.success.rawValue
        } catch let error as SpriteError {
            terminal.flush()
            terminal.report(error, verbose: context.verbose)
            return error.status.rawValue
        } catch let code as ExitCode {
            // a remote exit status passed through (exec)
            return code.rawValue
        } catch let error as ValidationError {
            // a check a command makes once it runs: a usage error (exit 64)
            terminal.flush()
            return UsageErrors.report(error, in: type, to: terminal)
        } catch let error as CleanExit {
            // help requested through the help subcommand
            terminal.flush()
            return UsageErrors.parserEnding(error, to: terminal)
        } catch {
            terminal.flush()
            terminal.report(
                SpriteError(
                    "unexpected failure: \(error)",
                    hints: ["run it again with -v; if it persists, report it with that output"]),
                verbose: context.verbose)
            return ExitStatus.failure.rawValue
        }
    }
}
