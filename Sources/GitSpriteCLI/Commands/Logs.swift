import ArgumentParser
import GitSpriteCore

struct Logs: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the agent's recent output without attaching.",
        discussion: """
            Prints the agent's tmux pane and its history as plain text: escape sequences \
            removed, wrapped lines joined. --raw keeps the escape sequences (colours). -f keeps \
            printing what scrolls in until Ctrl-C or the agent ends. A cold sprite is woken \
            first, and its agent starts again (a note says so). When no agent runs, it says so \
            and shows the last output the agent left.

            Examples:
              git sprite logs -n 40
              git sprite logs -f feature/x
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(name: .shortAndLong, help: "Keep printing new output until Ctrl-C or the agent ends.")
    var follow = false

    // (unconditional: `-n -3` takes -3 and says what is wrong with it, not "missing value")
    @Option(
        name: [.customShort("n"), .customLong("lines")], parsing: .unconditional,
        help: "Show only the last LINES lines.")
    var lines: Int?

    @Flag(help: "Keep escape sequences (colours, cursor movement).")
    var raw = false

    @Flag(help: "Print one JSON document: whether the agent runs, and its lines.")
    var json = false

    func validate() throws {
        if json && follow { throw ValidationError("--json and -f contradict each other: pick one") }
        if let lines, lines < 0 { throw ValidationError("-n takes a number of lines, 0 or more") }
    }

    func run(_ context: Context) throws {
        var options = LogsWorkflow.Options()
        (options.follow, options.lines, options.raw, options.json) = (follow, lines, raw, json)
        try LogsWorkflow.run(context, sprite: target.sprite, options: options)
    }
}
