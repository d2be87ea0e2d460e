import ArgumentParser
import GitSpriteCore

struct Status: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List this repository's sprites and their states.",
        discussion: """
            Sprites carry labels (git-sprite, repo=…, branch=…); status lists those of this \
            repository, 'ls --all' every git-sprite sprite. Without a terminal the rows are \
            tab-separated: name, state, branch.

            Examples:
              git sprite status
              git sprite ls --all --json
            """,
        aliases: ["ls"]
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "List every git-sprite sprite, not only this repository's.")
    var all = false

    @Flag(help: "Print one JSON document.")
    var json = false

    func run(_ context: Context) throws {
        let rows = try StatusWorkflow.run(context, all: all)
        if json {
            context.terminal.out(JSON.object([("sprites", .array(rows.map(\.json)))]).serialized())
            return
        }
        for row in rows {
            context.terminal.out("\(row.name)\t\(row.state)\t\(row.branch ?? "-")\n")
        }
        if rows.isEmpty && !context.quiet {
            context.terminal.note(all ? "no git-sprite sprites" : "no sprites for this repository; start one: git sprite up")
        }
    }
}
