import ArgumentParser
import GitSpriteCore

struct Plan: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what 'git sprite up' would do, touching nothing remote.",
        discussion: """
            Prints the sprite name, then for this repository and each linked repository: where \
            it goes in the sprite, branch, HEAD, remote (credentials removed), ahead/behind, \
            uncommitted changes, how the code will travel (clone, clone + tunnel, or tunnel \
            only) and its submodules, recursively.

            Examples:
              git sprite plan
              git sprite plan --json | jq .primary.transport
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON document (schema: docs/plan-json.md).")
    var json = false

    @Option(help: "Use this sprite name instead of the one derived from the branch.")
    var name: String?

    func run(_ context: Context) throws {
        try Self.show(context, json: json, name: name)
    }

    /// The whole command once its arguments are read (by the parser or by `QuickArguments`).
    static func show(_ context: Context, json: Bool, name: String?) throws {
        let plan = try PlanWorkflow.run(context, nameFlag: name)
        if json {
            context.terminal.out(try JSONOutput.encode(plan.output))
        } else {
            context.terminal.out(plan.text)
            for warning in plan.warnings { context.terminal.warn(warning) }
        }
    }
}
