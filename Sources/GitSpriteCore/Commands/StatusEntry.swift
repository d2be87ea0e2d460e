import Foundation

/// One row of `git sprite status` / `ls`.
public struct StatusEntry: Sendable {
    public var name: String
    public var state: String
    public var repo: String?
    public var branch: String?
    public var createdAt: String?
    public var url: String?
    /// Where it lives: `local sprite-host`, or the API's URL.
    public var host = ""
    /// What the agent does and what the workspace holds; nil when not looked at (a cold sprite
    /// without `--deep`).
    public var agent: AgentReport?
    /// Why the agent was not looked at, or what went wrong looking.
    public var agentUnknown: String?
    /// Estimated cost so far.
    public var cost: CostSoFar?
    /// When it expires (`up --ttl`).
    public var expires: Date?
    /// How many old values of its refs a fetch kept under `refs/sprite/<sprite>/superseded/`.
    public var superseded = 0

    /// What `status --json` shows of one sprite (each in `sprites`); every field is present,
    /// null where unknown.
    public struct Output: Codable, Sendable {
        public struct Agent: Codable, Sendable {
            /// `working`, `waiting for input`, `finished`, `exited`, `none`, …
            public let state: String
            /// Told by the agent's output rather than by the agent (no hook reported it).
            public let guessed: Bool
            public let exitStatus: Int?
            public let since: Date?
        }

        public let name, state: String
        public let repo, branch, createdAt, url: String?
        public let host: String
        public let cost: CostSoFar.Output?
        public let expires: Date?
        public let superseded: Int
        public let agent: Agent?
        public let unfetchedCommits, uncommittedFiles: Int?
        /// Why `agent` is null: not looked into (a cold sprite without `--deep`), or what went wrong looking.
        public let agentUnknown: String?
    }

    /// What `status --json` and `--format` see.
    public var output: Output {
        let agentOutput = agent.map { a -> Output.Agent in
            var exit: Int?
            if case .exited(let code) = a.state { exit = code }
            return Output.Agent(state: a.state.text, guessed: a.guessed, exitStatus: exit, since: a.since)
        }
        return Output(
            name: name, state: state, repo: repo, branch: branch, createdAt: createdAt, url: url, host: host,
            cost: cost?.output, expires: expires, superseded: superseded, agent: agentOutput,
            unfetchedCommits: agent?.unfetched, uncommittedFiles: agent?.changed,
            agentUnknown: agent == nil ? agentUnknown : nil)
    }

    /// What `status --json` prints: the sprites and their estimated cost so far.
    public struct ListOutput: Codable, Sendable {
        public let sprites: [Output]
        public let totalCost: String

        public init(_ rows: [StatusEntry]) {
            sprites = rows.map(\.output)
            totalCost = Money.cents(StatusEntry.totalCost(rows).total)
        }
    }

    /// Every top-level field of `output`, for checking a `--format` template.
    public static var fields: [String] {
        guard case .object(let fields)? = try? JSONValue(document: StatusEntry(name: "", state: "").output) else {
            return []
        }
        return fields.keys.sorted()
    }

    /// The estimated cost so far of all the rows; `text` says `≥` when compute is unknown for one.
    public static func totalCost(_ rows: [StatusEntry]) -> (total: Decimal, text: String) {
        let total = rows.compactMap(\.cost).reduce(Decimal(0)) { $0 + $1.total }
        let complete = rows.allSatisfy { $0.cost?.compute != nil }
        return (total, (complete ? "" : "≥ ") + Money.dollars(total))
    }

    /// The columns of a row: name, state, branch, agent, unfetched commits, uncommitted files,
    /// cost so far.
    public func columns(now: Date = Date()) -> [String] {
        [
            name, state, branch ?? "-", agent?.describe(now: now) ?? "unknown",
            agent?.unfetched.map(String.init) ?? "-", agent?.changed.map(String.init) ?? "-", cost?.text ?? "-",
        ]
    }
}
