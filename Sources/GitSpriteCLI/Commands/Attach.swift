import ArgumentParser
import GitSpriteCore

struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the agent's tmux session in this terminal.",
        discussion: """
            Attaches natively over the exec WebSocket: raw terminal, window-size changes \
            forwarded, the terminal restored however it ends. Detach with tmux's Ctrl-b d; the \
            agent keeps running.

            Examples:
              git sprite attach
              git sprite attach feature/x
              git sprite attach --print
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A branch of this repository or a sprite name (default: the current branch's sprite).")
    var sprite: String?

    @Flag(help: "Print the equivalent 'sprite' CLI command instead of attaching.")
    var print = false

    func run() throws {
        let context = global.context()
        if print {
            context.terminal.out(try AttachWorkflow.printable(context, sprite: sprite) + "\n")
            return
        }
        let status = try AttachWorkflow.run(context, sprite: sprite)
        if status != 0 { throw ExitCode(status) }
    }
}
