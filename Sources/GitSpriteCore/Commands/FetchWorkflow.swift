import Foundation
import SpriteGit

/// `git sprite fetch`: brings the committed work of one sprite (or every sprite of this
/// repository) home into that sprite's own refs, and prints what moved. The working tree and
/// local branches are never touched.
public enum FetchWorkflow {
    /// What `fetch` did; `fetch --json` prints it.
    public struct Result: ActionOutput, Codable {
        /// One sprite's part.
        public struct Fetched: Sendable, Codable {
            public let sprite: String
            /// The refs here that moved.
            public let updates: [RefUpdate]
            /// What could not come home, one line each (it stays in the sprite).
            public let atRisk: [String]
        }

        public var sprites: [Fetched] = []
        /// `git fetch`-style lines, one per ref that moved, under a `From sprite <name>` line.
        public var lines: [String] = []
        /// Notes for stderr (stash entries and tags that came home, work that stays in the sprite).
        public var notes: [String] = []
        /// Something could not be fetched.
        public var failed = false
    }

    public static func run(_ context: Context, sprite argument: String?, all: Bool) throws -> Result {
        let names: [String?]
        if all {
            guard argument == nil else {
                throw SpriteError(
                    "--all fetches every sprite of this repository: name none, or leave out --all",
                    hints: [
                        "every sprite: git sprite fetch --all; one: git sprite fetch \(shellQuote(argument ?? ""))"
                    ],
                    status: .usage)
            }
            names = try StatusWorkflow.run(context, all: false, look: false).map(\.name)
            if names.isEmpty { return Result(notes: ["no sprites for this repository; start one: git sprite up"]) }
        } else {
            names = [argument]
        }
        var result = Result()
        for name in names {
            let work = try SpriteWork(context, sprite: name, command: "fetch")
            let report = try work.fetch()
            result.sprites.append(.init(sprite: work.name, updates: report.updates, atRisk: report.atRisk))
            if !report.moved.isEmpty { result.lines += ["From sprite \(work.name)"] + report.moved }
            result.notes += report.notes
            result.failed = result.failed || report.failures > 0
            result.notes += report.atRisk.map { "still only in the sprite: " + $0 }
        }
        return result
    }
}
