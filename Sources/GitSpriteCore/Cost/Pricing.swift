import Foundation

/// What Sprites cost, in exact decimals (Foundation's `Decimal`, base 10): never binary floating
/// point, so the published examples come out to the cent. Rates are dollars per unit-hour.
public struct Pricing: Sendable, Equatable {
    public var cpuHour: Decimal
    public var memoryGBHour: Decimal
    public var storageGBHour: Decimal

    /// The published prices of Sprites.
    public static let published = Pricing(
        cpuHour: Money.exact("0.07"), memoryGBHour: Money.exact("0.04375"),
        storageGBHour: Money.exact("0.00068"))

    public init(cpuHour: Decimal, memoryGBHour: Decimal, storageGBHour: Decimal) {
        (self.cpuHour, self.memoryGBHour, self.storageGBHour) = (cpuHour, memoryGBHour, storageGBHour)
    }

    /// The rates the settings give (`sprite.pricing.*`), else the published ones.
    public init(settings: Settings) {
        self.init(
            cpuHour: settings.decimal(.cpuHourPrice) ?? Self.published.cpuHour,
            memoryGBHour: settings.decimal(.memoryGBHourPrice) ?? Self.published.memoryGBHour,
            storageGBHour: settings.decimal(.storageGBHourPrice) ?? Self.published.storageGBHour)
    }

    /// Compute (CPU and memory) per hour of a sprite of this size.
    public func computeHour(cpus: Int, memoryGB: Int) -> Decimal {
        Decimal(cpus) * cpuHour + Decimal(memoryGB) * memoryGBHour
    }
}

/// Dollars as text and micro-dollars, rounded half up only when shown.
public enum Money {
    /// A decimal written in base 10, exactly (`Decimal(string:)`); for constants.
    static func exact(_ text: String) -> Decimal { Decimal(string: text)! }

    /// Reads a non-negative decimal number written as people do (`4`, `1.5`, `0.04375`), or nil.
    public static func parse(_ text: String) -> Decimal? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.range(of: #"^[0-9]+(\.[0-9]+)?$|^\.[0-9]+$"#, options: .regularExpression) != nil else {
            return nil
        }
        // no locale: loading one maps ICU's data (several MB of resident memory for `up`)
        return Decimal(string: t)
    }

    static func rounded(_ value: Decimal, places: Int) -> Decimal {
        var input = value, output = Decimal()
        NSDecimalRound(&output, &input, places, .plain)
        return output
    }

    /// `$1.29`: rounded to the cent, half up.
    public static func dollars(_ value: Decimal) -> String { "$" + cents(value) }

    /// `1.29`: rounded to the cent, half up, without the sign.
    public static func cents(_ value: Decimal) -> String { plain(rounded(value, places: 2), places: 2) }

    /// The value in whole micro-dollars (rounded half up).
    public static func micros(_ value: Decimal) -> Int {
        // (NSDecimalNumber's intValue wraps past Int.max: a sum that large is shown as the most
        // an Int holds, never as a negative amount)
        let scaled = rounded(value * 1_000_000, places: 0)
        if scaled >= Decimal(Int.max) { return Int.max }
        return NSDecimalNumber(decimal: scaled).intValue
    }

    /// A decimal written out with at least `places` decimals, no exponent, no grouping.
    static func plain(_ value: Decimal, places: Int) -> String {
        var text = value.description
        if places > 0 {
            if !text.contains(".") { text += "." }
            let decimals =
                text.count - 1 - (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? 0)
            if decimals < places { text += String(repeating: "0", count: places - decimals) }
        }
        return text
    }

    /// A rate as written (`0.04375`), for the breakdown.
    public static func rate(_ value: Decimal) -> String { "$" + plain(value, places: 2) }
}

/// An estimate: what a sprite of a size costs over some hours, broken down, with what it
/// assumed in one line.
public struct CostEstimate: Sendable {
    public var hours: Decimal
    /// Hours of compute (CPU and memory are billed only while the sprite runs).
    public var computeHours: Decimal
    public var cpus: Int
    public var memoryGB: Int
    public var storageGB: Decimal
    public var pricing: Pricing

    public var cpu: Decimal { Decimal(cpus) * computeHours * pricing.cpuHour }
    public var memory: Decimal { Decimal(memoryGB) * computeHours * pricing.memoryGBHour }
    public var storage: Decimal { storageGB * hours * pricing.storageGBHour }
    /// The exact sum, rounded only when shown (never the sum of rounded parts).
    public var total: Decimal { cpu + memory + storage }
    public var assumption: String

    /// `hours` of a sprite running the whole time.
    public static func running(
        hours: Decimal, cpus: Int, memoryGB: Int, storageGB: Decimal, pricing: Pricing
    ) -> CostEstimate {
        CostEstimate(
            hours: hours, computeHours: hours, cpus: cpus, memoryGB: memoryGB, storageGB: storageGB, pricing: pricing,
            assumption: "the sprite runs all \(Money.plain(hours, places: 0)) h with \(cpus) CPU and \(memoryGB) GB; "
                + "storage counts \(Money.plain(storageGB, places: 0)) GB the whole time")
    }

    /// A week asleep: storage only (a hibernating sprite is not billed for compute).
    public static func idleWeek(storageGB: Decimal, pricing: Pricing) -> CostEstimate {
        CostEstimate(
            hours: 168, computeHours: 0, cpus: 0, memoryGB: 0, storageGB: storageGB, pricing: pricing,
            assumption:
                "the sprite sleeps all week (no compute is billed) and keeps \(Money.plain(storageGB, places: 0)) GB")
    }

    /// What is billed, each with its amount and how it was reckoned: CPU and memory (not in a
    /// week asleep), then storage.
    private var parts: [(label: String, amount: Decimal, reckoning: String)] {
        let h = Money.plain(hours, places: 0), gb = Money.plain(storageGB, places: 0)
        let storagePart = (
            "storage", storage, "\(gb) GB × \(h) h × \(Money.rate(pricing.storageGBHour)) per GB-hour"
        )
        guard computeHours != 0 else { return [storagePart] }
        return [
            ("CPU", cpu, "\(cpus) CPU × \(h) h × \(Money.rate(pricing.cpuHour)) per CPU-hour"),
            ("memory", memory, "\(memoryGB) GB × \(h) h × \(Money.rate(pricing.memoryGBHour)) per GB-hour"),
            storagePart,
        ]
    }

    public var text: String {
        let h = Money.plain(hours, places: 0), gb = Money.plain(storageGB, places: 0)
        var out =
            computeHours == 0
            ? "an idle week: \(gb) GB storage × 168 h\n"
            : "\(h) h × \(cpus) CPU, \(memoryGB) GB memory, \(gb) GB storage\n"
        for part in parts {
            out +=
                "  " + part.label.padding(toLength: 9, withPad: " ", startingAt: 0)
                + "\(Money.dollars(part.amount))  (\(part.reckoning))\n"
        }
        out += "  total    \(Money.dollars(total))" + (computeHours == 0 ? " per week\n" : "\n")
        return out + "assumes: \(assumption)\n"
    }

    /// The rows of `text`, off a terminal: what, amount, how it was reckoned; the total; what
    /// it assumes.
    public var rows: [[String]] {
        parts.map { [$0.label.lowercased(), Money.dollars($0.amount), $0.reckoning] }
            + [
                ["total", Money.dollars(total), computeHours == 0 ? "per week" : "\(Money.plain(hours, places: 0)) h"],
                ["assumes", assumption],
            ]
    }

    /// What `cost --json` prints.
    public struct Output: Codable, Sendable {
        public struct Amount: Codable, Sendable {
            public let dollars: String
            public let microdollars: Int
        }
        public struct Rates: Codable, Sendable {
            public let cpuHour, memoryGBHour, storageGBHour: String
        }
        public struct Costs: Codable, Sendable {
            public let cpu, memory, storage, total: Amount
        }
        public let hours, computeHours: String
        public let cpu, memoryGB: Int
        public let storageGB: String
        public let rates: Rates
        public let cost: Costs
        public let assumption: String
    }

    public var output: Output {
        func amount(_ d: Decimal) -> Output.Amount { .init(dollars: Money.cents(d), microdollars: Money.micros(d)) }
        return Output(
            hours: Money.plain(hours, places: 0), computeHours: Money.plain(computeHours, places: 0),
            cpu: cpus, memoryGB: memoryGB, storageGB: Money.plain(storageGB, places: 0),
            rates: .init(
                cpuHour: Money.plain(pricing.cpuHour, places: 2),
                memoryGBHour: Money.plain(pricing.memoryGBHour, places: 2),
                storageGBHour: Money.plain(pricing.storageGBHour, places: 2)),
            cost: .init(cpu: amount(cpu), memory: amount(memory), storage: amount(storage), total: amount(total)),
            assumption: assumption)
    }
}

/// What a sprite has cost so far, estimated: the API reports no usage, so storage is counted
/// for its whole life and compute for the time the supervisor's heartbeats say it ran.
public struct CostSoFar: Sendable {
    public var storage: Decimal
    /// Nil when the sprite was not looked into (cold, without --deep).
    public var compute: Decimal?
    public var assumption: String

    public var total: Decimal { storage + (compute ?? 0) }

    /// `$0.42`, or `≥ $0.03` when compute is unknown.
    public var text: String { (compute == nil ? "≥ " : "") + Money.dollars(total) }

    static func estimate(
        createdAt: Date?, now: Date, runningSeconds: Int?, looked: Bool, cpus: Int, memoryGB: Int,
        storageGB: Int, pricing: Pricing
    ) -> CostSoFar {
        let lifeHours = Decimal(max(0, Int(now.timeIntervalSince(createdAt ?? now)))) / 3600
        let storage = lifeHours * Decimal(storageGB) * pricing.storageGBHour
        let life =
            createdAt.map { "its \(AgentReport.duration(now.timeIntervalSince($0)))" }
            ?? "an unknown time (no creation date)"
        var assumption = "storage: \(storageGB) GB for \(life)"
        var compute: Decimal?
        if looked {
            let seconds = runningSeconds ?? 0
            compute = Decimal(seconds) / 3600 * pricing.computeHour(cpus: cpus, memoryGB: memoryGB)
            assumption +=
                "; compute: \(cpus) CPU, \(memoryGB) GB for \(AgentReport.duration(TimeInterval(seconds))) running "
                + "(the agent supervisor's heartbeats)"
        } else {
            assumption += "; compute unknown (not looked into: git sprite status --deep)"
        }
        return CostSoFar(storage: storage, compute: compute, assumption: assumption)
    }

    /// How `status --json` shows it.
    public struct Output: Codable, Sendable {
        public let total: String
        public let totalMicrodollars: Int
        public let storage: String
        public let compute: String?
        public let complete: Bool
        public let assumption: String
    }

    var output: Output {
        Output(
            total: Money.cents(total), totalMicrodollars: Money.micros(total), storage: Money.cents(storage),
            compute: compute.map(Money.cents), complete: compute != nil, assumption: assumption)
    }
}
