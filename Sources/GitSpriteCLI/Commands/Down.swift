import ArgumentParser
import GitSpriteCore

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop the agent; park the sprite or destroy it.",
        discussion: """
            Stops the agent's service. With --destroy (or sprite.lifecycle.autoDestroy) the \
            sprite and everything in it are deleted; otherwise it is left to hibernate, and the \
            command says how to delete it.

            Examples:
              git sprite down
              git sprite down feature/x --destroy
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A branch of this repository or a sprite name (default: the current branch's sprite).")
    var sprite: String?

    @Flag(help: "Delete the sprite and everything in it.")
    var destroy = false

    func run() throws {
        let context = global.context()
        let message = try DownWorkflow.run(context, sprite: sprite, destroy: destroy)
        if !context.quiet { context.terminal.note(message) }
    }
}
