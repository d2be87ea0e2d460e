import ArgumentParser
import GitSpriteCore

struct Up: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Create or resume this branch's sprite, ship the exact code, start the agent.",
        discussion: """
            Creates the sprite (or resumes it), applies the network policy, puts this \
            repository at /home/sprite/workspace and each linked repository at \
            /home/sprite/repos/<mount> (cloned from the remote where possible, local commits \
            and uncommitted changes through the tunnel, submodules in place), installs packages \
            and starts the agent in tmux. Re-running converges: it ships only what is new.

            Examples:
              git sprite up -m "fix the flaky test in tests/api"
              git sprite up --local --no-agent
              git sprite up --json | jq .sprite
              git sprite up --ttl 3d
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Prompt for the agent (one argument, never through a shell).")
    var message: String?

    @Option(help: "Sprite name instead of the one derived from the branch.")
    var name: String?

    @Flag(help: "Do not start the agent.")
    var noAgent = false

    @Flag(help: "Use a sprite-host on this machine (started when needed) instead of the cloud.")
    var local = false

    @Flag(help: "Do not ship uncommitted changes.")
    var noChanges = false

    @Option(help: "How long the sprite lives (3d, 1w): status warns after, prune --expired removes it.")
    var ttl: String?

    @Flag(help: "Print one JSON document.")
    var json = false

    func run(_ context: Context) throws {
        var options = UpOptions()
        options.ttl = ttl
        options.prompt = message
        options.name = name
        options.noAgent = noAgent
        options.local = local
        options.noChanges = noChanges
        let result = try UpWorkflow.run(context, options: options)
        if context.terminal.stderrIsTTY && !context.quiet { context.terminal.note("cost: " + result.rate) }
        if json {
            context.terminal.out(try JSONOutput.encode(result.output))
        } else if context.quiet {
            context.terminal.out(result.spriteName + "\n")
        } else {
            context.terminal.out(result.text)
        }
    }
}
