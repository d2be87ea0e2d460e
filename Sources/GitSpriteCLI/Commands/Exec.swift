import ArgumentParser
import GitSpriteCore

struct Exec: GlobalCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command in the sprite's workspace; its exit status becomes ours.",
        discussion: """
            Runs in /home/sprite/workspace of the current branch's sprite, or of the sprite of \
            BRANCH or named SPRITE. stdout and stderr stream separately; stdin is forwarded when \
            it is not a terminal. Arguments reach the command as they are, never through a shell.

            Examples:
              git sprite exec -- git -C /home/sprite/workspace log -1
              git sprite exec feature/x -- make test
              tar c src | git sprite exec -- tar x -C /tmp
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .customLong("dir"), help: "Working directory in the sprite (default: the workspace).")
    var directory: String?

    @OptionGroup var target: SpriteArgument

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("missing the command: git sprite exec [SPRITE] -- CMD…") }
    }

    func run(_ context: Context) throws {
        let status = try ExecWorkflow.run(context, sprite: target.sprite, command: command, directory: directory)
        context.terminal.flush()
        if status != 0 { throw ExitCode(status) }
    }
}
