import ArgumentParser
import GitSpriteCore

struct Wait: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait until the agent is finished, waiting for input, or gone.",
        discussion: """
            Looks at the agent of each sprite named (default: the current branch's) every two \
            seconds until each one has finished its turn, waits for input, or is gone, and \
            prints which. A cold sprite is woken to be looked at. A dropped connection is \
            retried; five failed looks in a row end the wait with an error. While it waits, \
            sprite.notify.command runs once per change of state.

            Exit status: 0 every agent finished; 10 an agent waits for input; 11 an agent is \
            gone (exited, or none runs); 12 --timeout passed first; 1 the sprite could not be \
            looked at.

            Examples:
              git sprite wait && git sprite diff --stat
              git sprite wait feature/x feature/y --timeout 30m
              git -c sprite.notify.command=notify-send sprite wait
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Branches of this repository or sprite names (default: the current branch's sprite).")
    var sprites: [String] = []

    @Option(parsing: .unconditional, help: "Give up after this long (90s, 15m, 2h).")
    var timeout: String?

    @Flag(help: "Print one JSON document (the exit status is the same).")
    var json = false

    func run(_ context: Context) throws {
        let limit = try timeout.map { try DurationText.parse($0, flag: "--timeout") }
        let result = try WaitWorkflow.run(context, sprites: sprites, timeout: limit)
        if json {
            context.terminal.out(try JSONOutput.encode(result.output))
        } else {
            for line in result.lines { context.terminal.out(line + "\n") }
        }
        context.terminal.flush()
        if result.outcome != .finished { throw ExitCode(result.outcome.rawValue) }
    }
}
