import ArgumentParser
import Foundation
import GitSpriteCore

/// The entry point of `git-sprite`, and the one place where errors become exit codes.
public enum GitSpriteMain {
    public static func run() -> Never {
        let env = ProcessInfo.processInfo.environment
        let terminal = Terminal(environment: env)
        do {
            var command = try GitSprite.parseAsRoot()
            try command.run()
            terminal.flush()
            exit(ExitStatus.success.rawValue)
        } catch let error as SpriteError {
            terminal.flush()
            let args = CommandLine.arguments
            let verbose = args.contains("-v") || args.contains("--verbose") || env["GIT_SPRITE_TRACE"] == "1"
            terminal.report(error, verbose: verbose)
            exit(error.status.rawValue)
        } catch {
            terminal.flush()
            // help, --version and usage errors (exit 64) as swift-argument-parser renders them
            GitSprite.exit(withError: error)
        }
    }
}
