import ArgumentParser
import GitSpriteCore

struct Down: GlobalCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop the agent, bring its commits home; park the sprite or destroy it.",
        discussion: """
            Stops the agent's service, then fetches every branch of the sprite's repositories \
            (the workspace and each linked repo) into refs/remotes/sprite/*. With --destroy (or \
            sprite.lifecycle.autoDestroy) the sprite and everything in it are deleted, but only \
            when nothing would be lost: uncommitted changes in the sprite (other than the ones \
            up brought) or commits that could not be fetched stop it, unless --force. \
            Otherwise the sprite is left to hibernate, and the command says how to delete it.

            Examples:
              git sprite down
              git sprite down feature/x --destroy
              git sprite down --destroy --force
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(help: "Delete the sprite and everything in it.")
    var destroy = false

    @Flag(help: "Destroy even when the sprite holds work that is not on this machine.")
    var force = false

    func run(_ context: Context) throws {
        let messages = try DownWorkflow.run(context, sprite: target.sprite, destroy: destroy, force: force)
        if !context.quiet { messages.forEach(context.terminal.note) }
    }
}
