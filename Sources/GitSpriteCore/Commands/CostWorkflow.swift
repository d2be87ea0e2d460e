import Foundation

/// `git sprite cost`: what a sprite of the configured (or given) size costs.
public enum CostWorkflow {
    public struct Options: Sendable {
        public var hours: String?
        public var cpu: String?
        public var memory: String?
        public var storage: String?
        public var idleWeek = false
        public init() {}
    }

    public static func estimate(_ context: Context, options: Options) throws -> CostEstimate {
        let repo = try? RepositoryLocator.primary(context)
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let pricing = Pricing(settings: settings)
        let storage =
            try options.storage.map { try positive($0, flag: "--storage", unit: "GB") } ?? Decimal(settings.storageGB)
        if options.idleWeek {
            if options.hours != nil || options.cpu != nil || options.memory != nil {
                throw SpriteError(
                    "--idle-week prices a week of storage alone: it takes --storage, not --hours, --cpu or --memory",
                    status: .usage)
            }
            return .idleWeek(storageGB: storage, pricing: pricing)
        }
        let hours = try options.hours.map { try positive($0, flag: "--hours", unit: "hours") } ?? 1
        let cpus = try options.cpu.map { try whole($0, flag: "--cpu", range: 1...8, unit: "CPUs") } ?? settings.cpu
        let memory =
            try options.memory.map { try whole($0, flag: "--memory", range: 1...16, unit: "GB") } ?? settings.memoryGB
        return .running(hours: hours, cpus: cpus, memoryGB: memory, storageGB: storage, pricing: pricing)
    }

    /// The most hours or GB an estimate takes (100,000 hours is 11 years): with prices of at
    /// most $100 an hour, every sum stays within what `--json`'s microdollars hold.
    static let largest: Decimal = 100_000

    /// `text` without a unit a size may carry (`8G`, `8GB`, as the configuration takes them).
    static func number(_ text: String, unit: String) -> String {
        var number = text.trimmingCharacters(in: .whitespaces)
        if unit == "GB", let suffix = ["GB", "G"].first(where: { number.uppercased().hasSuffix($0) }) {
            number.removeLast(suffix.count)
        }
        return number
    }

    static func positive(_ given: String, flag: String, unit: String) throws -> Decimal {
        let text = number(given, unit: unit)
        // (a negative number is one, if not one that can be given)
        let negative = text.hasPrefix("-") && Money.parse(String(text.dropFirst())) != nil
        guard let value = negative ? Decimal(-1) : Money.parse(text) else {
            throw SpriteError(
                "\(flag) '\(given)' is not a number", hints: ["give a positive number of \(unit), such as \(flag) 4"],
                status: .usage)
        }
        guard value > 0 else {
            throw SpriteError(
                "\(flag) must be more than 0", hints: ["give a positive number of \(unit), such as \(flag) 4"],
                status: .usage)
        }
        guard value <= largest else {
            throw SpriteError(
                "\(flag) must be at most \(largest)", hints: ["give a positive number of \(unit), such as \(flag) 4"],
                status: .usage)
        }
        return value
    }

    static func whole(_ text: String, flag: String, range: ClosedRange<Int>, unit: String) throws -> Int {
        guard let value = Int(number(text, unit: unit)) else {
            throw SpriteError(
                "\(flag) '\(text)' is not a whole number",
                hints: ["Sprites take \(range.lowerBound)–\(range.upperBound) \(unit)"],
                status: .usage)
        }
        guard range.contains(value) else {
            throw SpriteError(
                "\(flag) \(value) is outside \(range.lowerBound)–\(range.upperBound) \(unit)",
                hints: ["Sprites take \(range.lowerBound)–\(range.upperBound) \(unit)"], status: .usage)
        }
        return value
    }
}
