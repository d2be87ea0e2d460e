import Foundation
import SpritesAPI

/// What the agent in a sprite is doing, and what the workspace holds that is not home
/// (`InSpriteScript.agentLook`). The state comes from the agent itself where it can
/// (Claude Code's hooks write it); for other agents it is guessed from the pane: output in
/// the last `quietAfter` seconds reads as working, silence as waiting for input.
public struct AgentReport: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case working
        case waitingForInput
        case finished
        case exited(Int)
        case none

        public var text: String {
            switch self {
            case .working: return "working"
            case .waitingForInput: return "waiting for input"
            case .finished: return "finished"
            case .exited(let code): return "exited with \(code)"
            case .none: return "none"
            }
        }

        /// Whether `wait` stops here: the agent needs the user, or is done.
        public var needsYou: Bool { self != .working }
    }

    public var state: State
    /// When it entered that state.
    public var since: Date?
    /// The state was guessed from pane activity, not reported by the agent.
    public var guessed = false
    /// Commits in the workspace that are not home; nil when the workspace is not there.
    public var unfetched: Int?
    /// Files with uncommitted changes in the workspace.
    public var changed: Int?
    /// Seconds the sprite ran, from the supervisor's heartbeats.
    public var runningSeconds: Int?

    /// Silence after which an agent without hooks reads as waiting for input.
    static let quietAfter: TimeInterval = 30

    init(_ out: ScriptOutput) {
        // (what the agent's state file says, which whatever runs in the sprite can write: a time
        // that is no time, `1e300`, `nan`, `inf`, is none; an age built from one trapped)
        func date(_ key: String) -> Date? {
            out[key].flatMap(Double.init).flatMap { (0...1e10).contains($0) ? Date(timeIntervalSince1970: $0) : nil }
        }
        let now = date("now")
        switch out["agent"] {
        case "running":
            switch out["state"] {
            case "working": state = .working
            case "waiting": state = .waitingForInput
            case "finished": state = .finished
            default:
                guessed = true
                let activity = date("activity")
                if let activity, let now, now.timeIntervalSince(activity) < Self.quietAfter {
                    state = .working
                } else {
                    state = .waitingForInput
                }
                since = activity
            }
            if !guessed { since = date("since") }
        case "exited":
            state = .exited(Int(out["exit"] ?? "") ?? -1)
            since = date("since")
        default:
            state = .none
        }
        // the sprite's clock, not ours: the age is measured against its "now"
        if let now, let s = since { since = Date().addingTimeInterval(s.timeIntervalSince(now)) }
        unfetched = out["unfetched"].flatMap(Int.init)
        changed = out["changed"].flatMap(Int.init)
        runningSeconds = out["running"].flatMap(Int.init)
    }

    /// Looks at the agent of `sprite` and its workspace; `home` are commits that are home.
    static func look(_ api: any SpritesService, sprite: String, home: [String]) throws -> AgentReport {
        let known = home.filter { $0.count >= 40 && $0.allSatisfy(\.isHexDigit) }
        let r = try api.run(
            sprite, InSpriteScript.agentLook, [sprite, SpritePaths.workspace] + known,
            directory: SpritePaths.home)
        guard r.status == 0 else {
            throw SpriteError(
                "looking at the agent in \(sprite) failed: \(lastLine(of: r.stderr) ?? "exit \(r.status)")")
        }
        return AgentReport(ScriptOutput(String(decoding: r.stdout, as: UTF8.self)))
    }

    /// "waiting for input for 3m", with a mark when guessed.
    public func describe(now: Date = Date()) -> String {
        var text = state.text
        if let since { text += " for " + Self.duration(now.timeIntervalSince(since)) }
        if guessed && state != .none { text += " (from pane activity)" }
        return text
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = seconds.isFinite ? Int(min(max(0, seconds), 1e10)) : 0
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h\(s % 3600 / 60 > 0 ? "\(s % 3600 / 60)m" : "")" }
        return "\(s / 86400)d"
    }
}
