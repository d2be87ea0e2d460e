import Foundation
import SpriteGit
import SpritesAPI

/// What `fetch`, `diff`, `log` and `apply` share: this repository's sprite (which must be
/// this repository's), the plan of its repositories, and a `Homecoming` that fetches from it.
struct SpriteWork {
    let context: Context
    let target: SpriteTarget
    let repository: Repository
    let plan: WorkspacePlan
    let homecoming: Homecoming

    var name: String { target.name }

    /// - Parameter sprite: the command's argument; `name` when the sprite is already known.
    init(_ context: Context, sprite argument: String?, command: String) throws {
        self.context = context
        target = try SpriteTarget(context, sprite: argument)
        guard let repository = target.repository else {
            throw SpriteError("git sprite \(command) needs a repository to bring the work into",
                              hints: ["run it in the repository whose sprite it is"], status: .notARepository)
        }
        self.repository = repository
        let builder = PlanBuilder(context: context, repository: repository, settings: target.settings)
        let (target, name) = (target, target.name)
        try target.connection.perform { api in
            let sprite = try target.existing(api, context: context)
            guard SpriteLabels.belongs(sprite.labels, to: builder.identity()) else {
                throw SpriteError("\(name) was not made by this repository, so its work cannot be brought here",
                                  hints: ["list this repository's sprites: git sprite ls"])
            }
        }
        do {
            plan = try builder.build()
        } catch let e as GitError {
            throw PlanWorkflow.unreadable(e)
        }
        let shipper = Shipper(context: context, connection: target.connection, sprite: name,
                              settings: target.settings, noChanges: true)
        homecoming = Homecoming(context: context, shipper: shipper)
    }

    /// The repositories of the plan that are here, with their labels.
    var repositories: [RepoPlan] { [plan.primary] + plan.linked }

    /// Fetches everything (`Homecoming.bringHome`), translating connection errors.
    func fetch() throws -> Homecoming.Report {
        try target.connection.perform { _ in homecoming.bringHome(plan) }
    }

    /// The sprite's ref in a local repository, or nil when it is not there.
    static func resolve(_ ref: String, in path: String) -> ObjectID? {
        (try? Repository.open(at: path)).flatMap { try? $0.resolve(reference: ref) }
    }
}

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
                throw SpriteError("--all fetches every sprite of this repository: name none, or leave out --all",
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
