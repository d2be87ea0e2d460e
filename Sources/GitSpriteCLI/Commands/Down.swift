import ArgumentParser
import GitSpriteCore

struct Down: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Bring the sprite's work home, stop the agent; park the sprite or destroy it.",
        discussion: """
            Fetches all committed work of the sprite's repositories (the workspace, each linked \
            repo, their submodules at any depth): branches into refs/remotes/sprite/<sprite>/*, \
            stash entries and new tags into refs/sprite/<sprite>/*; then stops the agent. With \
            --destroy (or sprite.lifecycle.autoDestroy) the sprite and everything in it are \
            deleted, but only when nothing would be lost: uncommitted changes in the sprite \
            (other than the ones up brought), work in a submodule not checked out here, or \
            commits that could not be fetched stop it before anything changes. --force destroys \
            anyway, after saving that work in a bundle under .git/sprite-salvage/. Otherwise the \
            sprite is left to hibernate, and the command says how to delete it; --checkpoint \
            (or sprite.lifecycle.autoCheckpoint) takes a checkpoint first, recorded against the \
            commit the sprite has checked out (see git sprite checkpoint). --keep parks it even \
            when sprite.lifecycle.autoDestroy is on.

            Examples:
              git sprite down
              git sprite down feature/x --destroy
              git sprite down --destroy --force
              git sprite down --checkpoint
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(help: "Delete the sprite and everything in it.")
    var destroy = false

    @Flag(help: "Destroy even when the sprite holds work that is not on this machine.")
    var force = false

    @Flag(help: "Park the sprite even when sprite.lifecycle.autoDestroy is on.")
    var keep = false

    @Flag(help: "Take a checkpoint before the sprite is left to hibernate.")
    var checkpoint = false

    @Flag(help: "Print one JSON document: what was fetched, parked or destroyed, and saved.")
    var json = false

    func run(_ context: Context) throws {
        let outcome = try DownWorkflow.run(
            context, sprite: target.sprite,
            options: .init(destroy: destroy, force: force, keep: keep, checkpoint: checkpoint))
        try report(outcome, json: json, context)
        // parked, but a look or a fetch failed: said last, and the exit status says it too
        if let incomplete = DownWorkflow.incomplete(outcome, named: target.sprite) { throw incomplete }
    }
}
