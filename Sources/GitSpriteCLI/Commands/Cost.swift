import ArgumentParser
import GitSpriteCore

struct Cost: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Estimate what a sprite costs, with the breakdown.",
        discussion: """
            Prices a sprite of the configured size (sprite.resources.cpu, .memory, .storage) or \
            the size given, for --hours (default 1) of running, at the published prices: CPU \
            $0.07 per CPU-hour, memory $0.04375 per GB-hour, storage $0.00068 per GB-hour \
            (sprite.pricing.cpuHour, memoryGBHour, storageGBHour when they change). \
            --idle-week prices a week asleep: storage only. Money is computed in exact \
            decimals and rounded to the cent only when shown; --json also gives micro-dollars. \
            Every estimate says what it assumed.

            Examples:
              git sprite cost --hours 4 --cpu 2 --memory 4 --storage 10  # $1.29
              git sprite cost --idle-week --storage 10                   # $1.14 per week
              git sprite cost --hours 8 --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(parsing: .unconditional, help: "Hours of running (default 1).")
    var hours: String?

    @Option(parsing: .unconditional, help: "CPUs, 1–8 (default sprite.resources.cpu).")
    var cpu: String?

    @Option(parsing: .unconditional, help: "Memory in GB, 1–16 (default sprite.resources.memory).")
    var memory: String?

    @Option(parsing: .unconditional, help: "Storage in GB (default sprite.resources.storage).")
    var storage: String?

    @Flag(help: "A week asleep: storage only.")
    var idleWeek = false

    @Flag(help: "Print one JSON document.")
    var json = false

    func run(_ context: Context) throws {
        var options = CostWorkflow.Options()
        (options.hours, options.cpu, options.memory, options.storage, options.idleWeek) = (
            hours, cpu, memory, storage, idleWeek
        )
        let estimate = try CostWorkflow.estimate(context, options: options)
        if json {
            context.terminal.out(try JSONOutput.encode(estimate.output))
        } else if context.terminal.stdoutIsTTY {
            context.terminal.out(estimate.text)
        } else {
            for row in estimate.rows { context.terminal.out(row.joined(separator: "\t") + "\n") }
        }
    }
}
