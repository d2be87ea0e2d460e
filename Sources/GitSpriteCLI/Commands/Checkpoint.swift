import ArgumentParser
import GitSpriteCore

struct CheckpointCommand: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Checkpoint the sprite's disk, recorded against the commit it has checked out.",
        discussion: """
            Fetches the sprite's work (see git sprite fetch), takes a checkpoint through the \
            API, and records it as refs/sprite-checkpoints/<sprite>/<id>, pointing at the \
            sprite's work tree as it was (its HEAD, or a commit of its uncommitted changes on \
            top). --list shows the checkpoints next to those commits.

            Examples:
              git sprite checkpoint -m "tests pass"
              git sprite checkpoint --list
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Option(name: [.customShort("m"), .customLong("message")], help: "A comment for the checkpoint.")
    var comment: String?

    @Flag(help: "List the sprite's checkpoints with the commits they were taken at.")
    var list = false

    @Flag(help: "Print one JSON document: the checkpoints with --list, else the one taken.")
    var json = false

    func validate() throws {
        if list && comment != nil { throw ValidationError("--list takes no -m") }
    }

    func run(_ context: Context) throws {
        if list {
            let rows = try CheckpointWorkflow.list(context, sprite: target.sprite)
            if json {
                context.terminal.out(try JSONOutput.encode(CheckpointWorkflow.ListOutput(rows)))
            } else {
                for row in rows {
                    context.terminal.out(
                        (context.terminal.stdoutIsTTY ? row.text : row.columns.joined(separator: "\t")) + "\n")
                }
                if rows.isEmpty && !context.quiet {
                    context.terminal.note("no checkpoints; take one: git sprite checkpoint")
                }
            }
            return
        }
        let outcome = try CheckpointWorkflow.create(context, sprite: target.sprite, comment: comment)
        try report(outcome, json: json, context)
    }
}

struct Restore: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put the sprite back as a checkpoint had it (a checkpoint of the present comes first).",
        discussion: """
            Restores checkpoint ID (default: the newest). Refuses while the sprite holds work \
            that is not on your machine (uncommitted changes you have not applied, work that \
            could not be fetched), unless --force. Before restoring, the sprite's commits are \
            fetched and a checkpoint of its present state is taken, so a restore can itself be \
            undone with git sprite restore <that id>. Every process in the sprite ends; the \
            agent starts again.

            Examples:
              git sprite restore v3
              git sprite restore feature/x v2 --force
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(
        help: ArgumentHelp(
            "The checkpoint (default: the newest); or, with ID after it, a branch or sprite "
                + "(default: the current branch's).", valueName: "branch|sprite|id"))
    var first: String?

    @Argument(help: ArgumentHelp("The checkpoint, when a branch or sprite comes first.", valueName: "id"))
    var second: String?

    @Flag(help: "Restore even when the sprite holds work that is not on this machine.")
    var force = false

    @Flag(help: "Print one JSON document: the checkpoint restored and the one that undoes it.")
    var json = false

    func run(_ context: Context) throws {
        // one word is the checkpoint; two are the sprite and the checkpoint
        let (sprite, id): (String?, String?) = second == nil ? (nil, first) : (first, second)
        let outcome = try CheckpointWorkflow.restore(context, sprite: sprite, id: id, force: force)
        try report(outcome, json: json, context)
    }
}
