import ArgumentParser
import Foundation
import GitSpriteCore

/// The entry point of `git-sprite`, and the one place where errors become exit codes.
public enum GitSpriteMain {
    public static func run() -> Never {
        let env = ProcessInfo.processInfo.environment
        let terminal = Terminal(environment: env)
        var command: ParsableCommand
        do {
            command = try GitSprite.parseAsRoot()
        } catch {
            // help, --version and usage errors (exit 64), as swift-argument-parser renders them
            GitSprite.exit(withError: error)
        }
        // Ctrl-C: nothing of ours needs undoing (every command converges when run again), so
        // say so and exit with the "cancelled" status; the git processes we started stop too
        signal(SIGINT) { _ in
            restoreTerminal()
            interruptChildren(SIGINT)
            let message = "\ninterrupted; run the command again to finish\n"
            _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            _exit(ExitStatus.cancelled.rawValue)
        }
        let args = CommandLine.arguments
        let verbose = args.contains("-v") || args.contains("--verbose") || env["GIT_SPRITE_TRACE"] == "1"
        do {
            try command.run()
            terminal.flush()
            exit(ExitStatus.success.rawValue)
        } catch let error as SpriteError {
            terminal.flush()
            terminal.report(error, verbose: verbose)
            exit(error.status.rawValue)
        } catch let code as ExitCode {
            // a remote exit status passed through (exec)
            terminal.flush()
            exit(code.rawValue)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // help requested through the help subcommand, validation failures (exit 64)
            terminal.flush()
            GitSprite.exit(withError: error)
        } catch {
            terminal.flush()
            terminal.report(SpriteError("unexpected failure: \(error)",
                                        hints: ["run it again with -v; if it persists, report it with that output"]),
                            verbose: verbose)
            exit(ExitStatus.failure.rawValue)
        }
    }
}
