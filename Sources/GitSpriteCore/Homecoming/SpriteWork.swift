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
            throw SpriteError(
                "git sprite \(command) needs a repository to bring the work into",
                hints: ["run it in the repository whose sprite it is"], status: .notARepository)
        }
        self.repository = repository
        let builder = PlanBuilder(context: context, repository: repository, settings: target.settings)
        let (target, name) = (target, target.name)
        try target.connection.perform { api in
            let sprite = try target.existing(api, context: context)
            guard SpriteLabels.belongs(sprite.labels, to: builder.identity()) else {
                throw SpriteError(
                    "\(name) was not made by this repository, so its work cannot be brought here",
                    hints: ["list this repository's sprites: git sprite ls"])
            }
        }
        do {
            plan = try builder.build()
        } catch let e as GitError {
            throw PlanWorkflow.unreadable(e)
        }
        let shipper = Shipper(
            context: context, connection: target.connection, sprite: name,
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
