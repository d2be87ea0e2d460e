import ArgumentParser
import GitSpriteCore

struct Attach: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Join the agent's tmux session in this terminal.",
        discussion: """
            Attaches natively over the exec WebSocket: raw terminal, window-size changes \
            forwarded, the terminal restored however it ends. Detach with tmux's Ctrl-b d; the \
            agent keeps running. Inside your own tmux ($TMUX set), whose Ctrl-b is yours, \
            Ctrl-] detaches (or Ctrl-b Ctrl-b d); --detach-key names another key anywhere.

            Examples:
              git sprite attach
              git sprite attach feature/x
              git sprite attach --print
              git sprite attach --detach-key ctrl-x
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(help: "Print the equivalent 'sprite' CLI command instead of attaching.")
    var print = false

    @Option(
        help: ArgumentHelp("A key that detaches: ctrl-<key>, or none (default: ctrl-] inside tmux).", valueName: "key"))
    var detachKey: String?

    func run(_ context: Context) throws {
        if print {
            context.terminal.out(try AttachWorkflow.printable(context, sprite: target.sprite) + "\n")
            return
        }
        let status = try AttachWorkflow.run(context, sprite: target.sprite, detachKey: detachKey)
        if status != 0 { throw ExitCode(status) }
    }
}
