import ArgumentParser
import GitSpriteCore

struct Link: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Declare another repository to put in this repository's sprites.",
        discussion: """
            A linked repository is shipped like this one and lands at /home/sprite/repos/<mount>. \
            The link is stored in this repository's git config as sprite.link.<mount>.path, \
            relative to the work tree when the linked repository is inside it. Without PATH, \
            lists the links.

            Examples:
              git sprite link ../shared-lib
              git sprite link ~/src/tools --as tools
              git sprite link
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The top of the repository's work tree.", completion: .directory)
    var path: String?

    @Option(name: .customLong("as"), help: "Mount name under /home/sprite/repos (default: the directory name).")
    var mount: String?

    @Flag(help: "List links as JSON.")
    var json = false

    func validate() throws {
        if path == nil && mount != nil { throw ValidationError("--as needs a PATH to link") }
    }

    func run(_ context: Context) throws {
        guard let path else {
            let links = try LinkWorkflow.list(context)
            if json {
                context.terminal.out(try JSONOutput.encode(links.map(LinkWorkflow.Output.init)))
            } else {
                for link in links { context.terminal.out("\(link.mount)\t\(link.path)\n") }
            }
            return
        }
        let link = try LinkWorkflow.add(context, path: path, mount: mount)
        if json {
            context.terminal.out(try JSONOutput.encode([LinkWorkflow.Output(link)]))
        } else if !context.quiet {
            context.terminal.note(
                "linked \(link.path) as '\(link.mount)' (sprite path /home/sprite/repos/\(link.mount))")
        }
    }
}
