import Foundation
import SpriteGit

/// What commands that act on one sprite share: the repository (when in one), the settings,
/// the API connection and the sprite's name resolved from an argument or the branch.
struct SpriteTarget {
    let repository: Repository?
    let settings: Settings
    let connection: Connection
    let name: String

    init(_ context: Context, sprite argument: String?) throws {
        repository = try? RepositoryLocator.primary(context)
        settings = try SettingsLoader(environment: context.environment, repository: repository).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        connection = try Connection.make(settings: settings, context: context)
        name = try SpriteResolver.resolve(argument, context, repository: repository, settings: settings)
    }

    /// The error for a sprite that is not there.
    var missing: SpriteError {
        SpriteError("sprite '\(name)' does not exist", hints: ["start it: git sprite up", "list sprites: git sprite status"])
    }
}
