import ArgumentParser
import GitSpriteCore

struct Forward: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Forward local TCP ports to the sprite's own ports.",
        discussion: """
            Listens on 127.0.0.1:LOCAL (REMOTE when LOCAL is left out; 0 picks a free port) and \
            carries each connection to port REMOTE inside the sprite over the Sprites TCP proxy, \
            until Ctrl-C. Each forward is printed on stdout as 'forwarding localhost:LOCAL -> \
            sprite:REMOTE'. --auto also forwards every port the sprite starts listening on, and \
            stops when it stops.

            Examples:
              git sprite forward 3000
              git sprite forward 8000:8080 5432
              git sprite forward feature/x 0:8080
              git sprite forward --auto
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Also forward every port the sprite opens (and stop when it closes).")
    var auto = false

    @Argument(
        help: ArgumentHelp(
            "[BRANCH|SPRITE] [LOCAL:]REMOTE…: a branch or sprite first (default: the current branch's sprite), then ports.",
            valueName: "sprite-or-port"))
    var words: [String] = []

    func validate() throws {
        // a bad port is a usage error with a hint, from run(); here only whether there is any
        if !auto && !words.contains(where: { $0.first?.isNumber == true || $0.hasPrefix(":") }) {
            throw ValidationError(
                "name a port to forward, [LOCAL:]REMOTE (for example 3000, or 8000:8080), or use --auto")
        }
    }

    func run(_ context: Context) throws {
        let (sprite, ports) = try ForwardWorkflow.parse(words)
        if ports.isEmpty && !auto {
            throw ValidationError(
                "name a port to forward, [LOCAL:]REMOTE (for example 3000, or 8000:8080), or use --auto")
        }
        try ForwardWorkflow.run(context, sprite: sprite, ports: ports, auto: auto)
    }
}
