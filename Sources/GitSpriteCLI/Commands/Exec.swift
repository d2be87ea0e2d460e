import ArgumentParser
import GitSpriteCore

struct Exec: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in the sprite's workspace; its exit status becomes ours.",
        discussion: """
            Runs in /home/sprite/workspace of the current branch's sprite, or of the sprite of \
            BRANCH or named SPRITE. stdout and stderr stream separately; stdin is forwarded when \
            it is not a terminal (with -i, always). With -t the command runs on a terminal in \
            the sprite, in raw mode here, as 'git sprite shell' does. Arguments reach the \
            command as they are, never through a shell.

            Examples:
              git sprite exec -- git -C /home/sprite/workspace log -1
              git sprite exec feature/x -- make test
              tar c src | git sprite exec -- tar x -C /tmp
              git sprite exec -i -- python3 -c 'print(input())'
              git sprite exec -it -- htop
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .customLong("dir"),
        help: "Working directory in the sprite (default: the workspace; a relative one is in /home/sprite).")
    var directory: String?

    @Flag(name: [.customShort("t"), .customLong("tty")], help: "Run the command on a terminal in the sprite.")
    var tty = false

    @Flag(name: [.customShort("i"), .customLong("interactive")], help: "Forward stdin even when it is a terminal.")
    var interactive = false

    @OptionGroup var target: SpriteArgument

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("missing the command: git sprite exec [SPRITE] -- CMD…") }
    }

    func run(_ context: Context) throws {
        try Self.perform(
            context, sprite: target.sprite, command: command, directory: directory, tty: tty, interactive: interactive)
    }

    /// The whole command once its arguments are read (by the parser or by `QuickArguments`).
    static func perform(
        _ context: Context, sprite: String?, command: [String], directory: String?, tty: Bool, interactive: Bool
    ) throws {
        let status = try ExecWorkflow.run(
            context, sprite: sprite, command: command, directory: directory, tty: tty, interactive: interactive)
        context.terminal.flush()
        if status != 0 { throw ExitCode(status) }
    }
}
