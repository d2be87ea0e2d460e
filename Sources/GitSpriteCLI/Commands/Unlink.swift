import ArgumentParser
import GitSpriteCore

struct Unlink: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlink",
        abstract: "Stop putting a linked repository in this repository's sprites.",
        discussion: """
            Removes sprite.link.<mount>.path from this repository's git config. Sprites that \
            already hold the repository keep their copy.

            Example:
              git sprite unlink tools
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The mount name, as 'git sprite link' lists it.")
    var mount: String

    @Flag(help: "Print the link removed as JSON (as link --json shows one).")
    var json = false

    func run(_ context: Context) throws {
        let link = try LinkWorkflow.remove(context, mount: mount)
        if json {
            context.terminal.out(try JSONOutput.encode([LinkWorkflow.Output(link)]))
        } else if !context.quiet {
            context.terminal.note("unlinked '\(link.mount)' (\(link.path))")
        }
    }
}
