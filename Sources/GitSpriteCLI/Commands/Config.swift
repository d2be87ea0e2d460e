import ArgumentParser
import Foundation
import GitSpriteCore

struct Config: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective configuration and where each value comes from.",
        discussion: """
            Precedence: flags > environment > git config (sprite.*, any scope, including \
            git -c) > $XDG_CONFIG_HOME/git-sprite/config.toml > defaults. The token is shown \
            only as present or absent. Without a terminal, rows are tab-separated:
            key, value, origin.

            Examples:
              git sprite config
              git -c sprite.resources.cpu=4 sprite config
              git sprite config --json | jq '.settings["resources.cpu"]'
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    func run(_ context: Context) throws {
        let settings = try ConfigWorkflow.load(context)
        if json {
            context.terminal.out(try JSONOutput.encode(settings.output))
            return
        }
        // values as set: control characters in one (a tab would also split the row) shown as `?`
        let rows = settings.rows.map { ($0.0, Terminal.printable($0.1), Terminal.printable($0.2)) }
        if context.terminal.stdoutIsTTY {
            let w0 = rows.map(\.0.count).max() ?? 0
            let w1 = min(40, rows.map(\.1.count).max() ?? 0)
            for (k, v, o) in rows {
                let kp = k.padding(toLength: w0 + 2, withPad: " ", startingAt: 0)
                let vp = v.count >= w1 ? v + "  " : v.padding(toLength: w1 + 2, withPad: " ", startingAt: 0)
                context.terminal.out(kp + vp + o + "\n")
            }
        } else {
            for (k, v, o) in rows { context.terminal.out("\(k)\t\(v)\t\(o)\n") }
        }
    }
}
