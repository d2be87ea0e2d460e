import ArgumentParser
import GitSpriteCore

struct Shell: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "Open an interactive login shell in the sprite's workspace.",
        discussion: """
            A shell of its own on a terminal in the sprite, outside the agent's tmux session: \
            raw terminal, window-size changes forwarded, the terminal restored however it ends. \
            The shell's exit status is ours. Ports the sprite starts listening on meanwhile are \
            forwarded to the same ports here (sprite.forward.auto, on by default).

            Examples:
              git sprite shell
              git sprite shell feature/x
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    func run(_ context: Context) throws {
        let status = try ShellWorkflow.run(context, sprite: target.sprite)
        if status != 0 { throw ExitCode(status) }
    }
}
