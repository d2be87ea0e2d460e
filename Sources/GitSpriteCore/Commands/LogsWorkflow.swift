import Foundation
import SpritesAPI

/// `git sprite logs`: the agent's recent output without attaching, from its tmux pane
/// (`InSpriteScript.agentScreen`). Plain text by default (tmux drops the escape sequences;
/// any other control character is removed here), `raw` keeps them. `follow` prints rows as
/// they scroll into the pane's history until Ctrl-C or the agent ends. A full-screen agent
/// that redraws in place adds no rows: follow shows what scrolls, not every redraw.
public enum LogsWorkflow {
    public struct Options: Sendable {
        public var follow = false
        public var lines: Int?
        public var raw = false
        /// One JSON document instead of the text (not with `follow`).
        public var json = false
        public init() {}
    }

    /// What `logs --json` prints.
    public struct Output: Sendable, Codable {
        public let sprite: String
        /// `running` (in its tmux session now), `exited`, or `none` (stopped, or never started).
        public let agent: String
        /// How it exited; null unless `exited`.
        public let exitStatus: Int?
        /// The pane and its history, a line each (plain text unless `--raw`).
        public let lines: [String]
    }

    static let pollInterval: TimeInterval = 0.5

    public static func run(_ context: Context, sprite argument: String?, options: Options) throws {
        let target = try SpriteTarget(context, sprite: argument)
        let name = target.name
        let operand = SpriteTarget.hintOperand(argument, resolved: name)
        try target.connection.perform { api in
            let sprite = try target.existing(api, context: context)
            var screen: Screen
            if sprite.status?.description == "cold" {
                context.terminal.note("note: \(name) was cold; waking it")
                // a wake starts the sprite's services: give the agent a moment to come back,
                // unless it has no service to come back with (`down` parked it, or it never ran)
                let deadline = context.clock.now().addingTimeInterval(15)
                var comesBack: Bool?
                repeat {
                    screen = try Screen.read(api, sprite: name, tail: options.lines ?? 0, raw: options.raw)
                    if screen.running || context.clock.now() >= deadline { break }
                    if comesBack == nil { comesBack = try api.services(name).contains { $0.name == Agent.service } }
                    if comesBack == false { break }
                    context.clock.sleep(0.5)
                } while true
            } else {
                screen = try Screen.read(api, sprite: name, tail: options.lines ?? 0, raw: options.raw)
            }
            var text = trimTrailingBlankLines(screen.text)
            if let n = options.lines, n >= 0 {
                text = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(n).joined(separator: "\n")
            }
            if options.json {
                let lines = text.isEmpty ? [] : text.components(separatedBy: "\n")
                return context.terminal.out(
                    try JSONOutput.encode(
                        Output(sprite: name, agent: screen.state, exitStatus: screen.exitStatus, lines: lines)))
            }
            if !screen.running {
                context.terminal.note("note: no agent runs in \(name) (\(screen.ended(operand))); its last output:")
            }
            if !text.isEmpty { context.terminal.out(text + "\n") }
            context.terminal.flush()
            guard options.follow, screen.running, var next = screen.next else { return }
            interruptEndsTheCommand(true)
            defer { interruptEndsTheCommand(false) }
            var history = screen.history
            while true {
                context.clock.sleep(pollInterval)
                let now = try Screen.read(api, sprite: name, from: next, raw: options.raw, after: history)
                next = now.next
                let more = now.screen
                // once the agent is gone the text is its whole last screen, already printed
                if more.running && !more.text.isEmpty {
                    context.terminal.out(more.text.hasSuffix("\n") ? more.text : more.text + "\n")
                }
                context.terminal.flush()
                guard more.running, let n = more.next else {
                    context.terminal.note("note: the agent ended (\(more.ended(operand)))")
                    return
                }
                next = max(next, n)
                history = more.history
            }
        }
    }

    /// One read of the pane.
    struct Screen {
        /// `running`, `exited` or `none`.
        var state = "none"
        var running: Bool { state == "running" }
        var exitStatus: Int?
        var next: Int?
        /// Rows of history, and the most tmux keeps (`history-limit`).
        var history: Int?
        var limit: Int?
        /// How it exited, or nil: stopped, or never started.
        var exited: String?
        /// Why no agent runs; its hint names the sprite by `operand` (`SpriteTarget.hintOperand`).
        func ended(_ operand: String) -> String {
            exited.map { "it exited with \($0)" }
                ?? "it was stopped, or never started; start it: git sprite attach\(operand)"
        }
        var text: String

        static func read(_ api: any SpritesService, sprite: String, tail: Int, raw: Bool) throws -> Screen {
            try run(api, sprite, ["tail", String(max(0, tail)), raw ? "raw" : "plain"], raw: raw)
        }

        static func read(_ api: any SpritesService, sprite: String, from row: Int, raw: Bool) throws -> Screen {
            try run(api, sprite, ["from", String(row), raw ? "raw" : "plain"], raw: raw)
        }

        /// What came after absolute row `row`, read when the history held `history` rows.
        /// Once the history is full, tmux drops its oldest tenth, and every absolute row moves
        /// back by that much: row numbers alone then point past everything new, and `-f` went
        /// silent for good after ~10,000 lines (a review). A history that shrank means a drop:
        /// the row is moved back by a tenth of the limit and read again (the text of the first
        /// read was of rows already printed, or none). Several drops between two reads cannot
        /// be told from one, and what the others moved past is not shown.
        static func read(
            _ api: any SpritesService, sprite: String, from row: Int, raw: Bool, after history: Int?
        ) throws -> (screen: Screen, next: Int) {
            let first = try read(api, sprite: sprite, from: row, raw: raw)
            guard first.running, let before = history, let now = first.history, now < before,
                let limit = first.limit, limit > 0, let cursor = first.next
            else { return (first, row) }
            let step = max(1, limit / 10)
            var moved = row - step
            while moved > cursor { moved -= step }
            return (try read(api, sprite: sprite, from: max(0, moved), raw: raw), max(0, moved))
        }

        private static func run(
            _ api: any SpritesService, _ sprite: String, _ args: [String], raw: Bool
        ) throws -> Screen {
            let r = try api.run(sprite, InSpriteScript.agentScreen, [sprite] + args, directory: SpritePaths.home)
            guard r.status == 0 else {
                throw SpriteError(
                    "reading the agent's output in \(sprite) failed: \(lastLine(of: r.stderr) ?? "exit \(r.status)")")
            }
            let all = String(decoding: r.stdout, as: UTF8.self)
            let parts = all.components(separatedBy: "\n--\n")
            let header = ScriptOutput(parts[0])
            let body = parts.count > 1 ? parts.dropFirst().joined(separator: "\n--\n") : ""
            let exited = header["agent"] == "exited" ? header["exit"] ?? "?" : nil
            var text = raw ? body : plain(body)
            if header["agent"] != "running" {
                // what tmux wrote under a dead pane is not the agent's
                var lines = trimTrailingBlankLines(text).split(separator: "\n", omittingEmptySubsequences: false)
                if lines.last?.hasPrefix("Pane is dead") == true { lines.removeLast() }
                text = lines.joined(separator: "\n")
            }
            let state = header["agent"] == "running" || header["agent"] == "exited" ? header["agent"] ?? "none" : "none"
            return Screen(
                state: state,
                exitStatus: state == "exited" ? header["exit"].flatMap(Int.init) : nil,
                next: header["next"].flatMap(Int.init), history: header["history"].flatMap(Int.init),
                limit: header["limit"].flatMap(Int.init), exited: exited, text: text)
        }
    }

    /// Removes control characters other than newline and tab (a pane's plain text has none,
    /// but what the supervisor kept, or a hostile program, may).
    static func plain(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { s in
                    s == "\n" || s == "\t" || !(s.value < 0x20 || (0x7f...0x9f).contains(s.value))
                }))
    }

    static func trimTrailingBlankLines(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
