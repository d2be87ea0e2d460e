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

    /// Every field `json` can have, for `--format`.
    public static let fields = ["name", "state", "repo", "branch", "createdAt", "url", "host", "cost", "expires",
                                "superseded", "agent", "unfetchedCommits", "uncommittedFiles", "agentUnknown"]

    public var json: JSON {
        var fields: [(String, JSON)] = [
            ("name", .string(name)), ("state", .string(state)), ("repo", .optional(repo)),
            ("branch", .optional(branch)), ("createdAt", .optional(createdAt)), ("url", .optional(url)),
            ("host", .string(host)),
        ]
        fields.append(("cost", cost?.json ?? .null))
        fields.append(("expires", .optional(expires.map { ISO8601DateFormatter().string(from: $0) })))
        fields.append(("superseded", .int(superseded)))
        if let agent {
            var a: [(String, JSON)] = [("state", .string(agent.state.text)), ("guessed", .bool(agent.guessed))]
            if case .exited(let code) = agent.state { a.append(("exitStatus", .int(code))) }
            a.append(("since", .optional(agent.since.map { ISO8601DateFormatter().string(from: $0) })))
            fields.append(("agent", .object(a)))
            fields.append(("unfetchedCommits", agent.unfetched.map(JSON.int) ?? .null))
            fields.append(("uncommittedFiles", agent.changed.map(JSON.int) ?? .null))
        } else {
            fields.append(("agent", .null))
            fields.append(("agentUnknown", .optional(agentUnknown)))
        }
        return .object(fields)
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
        [name, state, branch ?? "-", agent?.describe(now: now) ?? "unknown",
         agent?.unfetched.map(String.init) ?? "-", agent?.changed.map(String.init) ?? "-", cost?.text ?? "-"]
    }
}
