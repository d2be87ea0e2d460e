import Foundation
import SpriteGit
import SpritesAPI

/// What `git sprite up` was asked to do.
public struct UpOptions: Sendable {
    public var prompt: String?
    public var name: String?
    public var noAgent = false
    public var local = false
    public var noChanges = false
    /// `--ttl`: how long the sprite lives (as text: validated with the settings).
    public var ttl: String?

    public init() {}
}

/// What `git sprite up` did, for the summary and `--json`.
public struct UpResult: Sendable {
    public struct Step: Sendable {
        public let name: String
        public let seconds: Double
        public let detail: String
    }

    public struct Shipped: Sendable {
        public let mount: String?
        public let spritePath: String
        public let method: String
        public let head: String
        public let notes: [String]
        /// Each phase's wall time in seconds, in order: snapshot, probe, create, policy wait,
        /// push (pack, transfer, index-pack), checkout, submodules (those that ran).
        public var phases: [(String, Double)] = []
        /// The repository was left as the sprite had it (work of its own in the way; a note says what).
        public var leftAsItWas = false
        /// Your uncommitted changes were not applied (the sprite has changes of its own).
        public var changesKeptOut = false

        /// `probe 41 ms, push 312 ms, checkout 58 ms`.
        public var breakdown: String {
            phases.map { "\($0.0) \(Int(($0.1 * 1000).rounded())) ms" }.joined(separator: ", ")
        }
    }

    public var spriteName = ""
    public var url = ""
    public var created = false
    public var steps: [Step] = []
    public var repos: [Shipped] = []
    public var agent: RunningAgent?
    /// What went, in one line: `shipped main @ 1a2b3c4d5e6f, 2 uncommitted files and 2 linked
    /// repos to app-main`.
    public var summary = ""
    public var warnings: [String] = []
    /// What the sprite costs an hour, for a note on a terminal.
    public var rate = ""

    public var attachCommand: String { "git sprite attach \(spriteName)" }

    /// What `up --json` prints.
    public struct Output: Sendable, Codable {
        public struct Repo: Sendable, Codable {
            public let mount: String?
            public let spritePath, method, head: String
            public let notes: [String]
            /// Each phase's wall time in seconds (its order: `-v`).
            public let phases: [String: Double]
        }
        public struct Step: Sendable, Codable {
            public let name: String
            public let seconds: Double
            public let detail: String
        }

        public let sprite, summary, url: String
        public let created: Bool
        public let workspace: String
        public let repos: [Repo]
        /// Null with `--no-agent`.
        public let agent: RunningAgent?
        public let attach: String
        public let steps: [Step]
        public let warnings: [String]
    }

    public var output: Output {
        func ms(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }
        return Output(
            sprite: spriteName, summary: summary, url: url, created: created, workspace: SpritePaths.workspace,
            repos: repos.map { r in
                .init(
                    mount: r.mount, spritePath: r.spritePath, method: r.method, head: r.head, notes: r.notes,
                    phases: Dictionary(r.phases.map { ($0.0, ms($0.1)) }, uniquingKeysWith: +))
            },
            agent: agent, attach: attachCommand,
            steps: steps.map { .init(name: $0.name, seconds: ms($0.seconds), detail: $0.detail) }, warnings: warnings)
    }

    public var text: String {
        var out = summary.isEmpty ? "" : summary + "\n"
        out += "sprite     \(spriteName)\n"
        // a local sprite-host has no public URL (its sprites are reached through its socket)
        if url.hasPrefix("https://") || url.hasPrefix("http://") { out += "url        \(url)\n" }
        for r in repos { out += "repo       \(r.spritePath) @ \(String(r.head.prefix(12))) (\(r.method))\n" }
        if let agent { out += "agent      \(agent.text)\n" }
        out += "attach     \(attachCommand)\n"
        return out
    }
}
