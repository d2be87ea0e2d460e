import ArgumentParser
import GitSpriteCore

struct URLCommand: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "url",
        abstract: "Print (or open) the sprite's own URL.",
        discussion: """
            Prints the URL the Sprites API gives the sprite: it serves the sprite's port 8080, \
            or the service with an HTTP port. Private by default (your organisation's login); \
            --public lets anyone with the URL open it, --private takes that back. --open opens \
            it in your browser ($BROWSER, else xdg-open); for a private sprite on a local \
            sprite-host, through a link that logs the browser in once.

            Examples:
              git sprite url
              git sprite url --open
              git sprite url feature/x --public
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(help: "Let anyone with the URL open it.")
    var `public` = false

    @Flag(help: "Ask for a login again (the default).")
    var `private` = false

    @Flag(help: "Open the URL in your browser.")
    var open = false

    @Flag(help: "Print one JSON document: the URL and who may open it.")
    var json = false

    func validate() throws {
        if `public` && `private` { throw ValidationError("--public and --private contradict each other") }
    }

    func run(_ context: Context) throws {
        let access: URLWorkflow.Access? = `public` ? .public : `private` ? .private : nil
        let result = try URLWorkflow.run(context, sprite: target.sprite, access: access, open: open)
        context.terminal.out(json ? try JSONOutput.encode(result) : result.url + "\n")
    }
}
