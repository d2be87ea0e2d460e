import ArgumentParser
import GitSpriteCore

struct Status: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List this repository's sprites and their states.",
        discussion: """
            Sprites carry labels (git-sprite, repo=…, branch=…); status lists those of this \
            repository, 'ls --all' every git-sprite sprite. For each awake sprite it shows the \
            agent's state (working, waiting for input, finished, exited with N, none) and for \
            how long, the commits in its workspace that are not home (git sprite fetch brings \
            them) and the files with uncommitted changes (git sprite diff shows them). A cold \
            sprite is not woken to be listed: its agent reads as unknown unless --deep. \
            Without a terminal the rows are tab-separated: name, state, branch, agent, \
            unfetched commits, uncommitted files, estimated cost so far (storage for its whole \
            life, compute for the time it ran, from the agent supervisor's heartbeats; each \
            estimate says what it assumed). Expired sprites (up --ttl) are warned about.

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

    @Flag(help: "Look into cold sprites too (wakes them).")
    var deep = false

    @Option(
        help: ArgumentHelp(
            "A line per sprite from {{field}} placeholders over the --json fields, e.g. '{{name}}\\t{{agent.state}}'.",
            valueName: "template"))
    var format: String?

    func validate() throws {
        if format != nil && json { throw ValidationError("--format and --json contradict each other: pick one") }
        if format != nil && global.quiet { throw ValidationError("--format and -q contradict each other: pick one") }
    }

    func run(_ context: Context) throws {
        let template = try format.map(Template.init)
        if let unknown = template?.unknownFields(known: StatusEntry.fields), !unknown.isEmpty {
            throw SpriteError(
                "--format names fields a sprite does not have: \(unknown.joined(separator: ", "))",
                hints: ["fields: " + StatusEntry.fields.joined(separator: ", ")], status: .usage)
        }
        let rows = try StatusWorkflow.run(context, all: all, deep: deep)
        if let template {
            for row in rows { context.terminal.out(try template.render(row.output)) }
            return
        }
        if json {
            context.terminal.out(try JSONOutput.encode(StatusEntry.ListOutput(rows)))
            return
        }
        if context.quiet {
            // -q: the names, one a line, for scripts (`git sprite ls -q | xargs -n1 git sprite down`)
            for row in rows { context.terminal.out(row.name + "\n") }
            return
        }
        if context.terminal.stdoutIsTTY && !rows.isEmpty {
            let host = rows[0].host
            context.terminal.out(
                "on " + (host == "local sprite-host" ? "the local sprite-host (git sprite host status)" : host) + "\n")
            context.terminal.out(
                TextTable.render(
                    [["SPRITE", "STATE", "BRANCH", "AGENT", "UNFETCHED", "CHANGED", "COST"]]
                        + rows.map { $0.columns() }))
            for row in rows {
                if let url = row.url { context.terminal.out("\(row.name): \(url)\n") }
            }
            if rows.contains(where: { $0.cost != nil }) {
                context.terminal.out("cost so far: \(StatusEntry.totalCost(rows).text), estimated\n")
                for row in rows {
                    if let cost = row.cost { context.terminal.out("  \(row.name): \(cost.assumption)\n") }
                }
            }
        } else {
            for row in rows { context.terminal.out(row.columns().joined(separator: "\t") + "\n") }
        }
        if rows.isEmpty && !context.quiet {
            context.terminal.note(
                all ? "no git-sprite sprites" : "no sprites for this repository; start one: git sprite up")
        }
    }
}
