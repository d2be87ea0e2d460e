import Foundation
import SpriteGit
import SpritesAPI

/// What commands that act on one sprite share: the repository (when in one), the settings,
/// the API connection and the sprite's name resolved from an argument or the branch.
struct SpriteTarget {
    let repository: Repository?
    let settings: Settings
    let connection: Connection
    let name: String
    /// The argument, when it named a branch whose sprite is called otherwise.
    let branchArgument: String?
    /// The argument named the sprite itself (no branch has that name).
    let namedBySpriteName: Bool

    /// - Parameter exact: the argument is a sprite's name, never a branch (prune).
    init(_ context: Context, sprite argument: String?, exact: Bool = false) throws {
        repository = try? RepositoryLocator.primary(context)
        settings = try SettingsLoader(environment: context.environment, repository: repository).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        connection = try Connection.make(settings: settings, context: context)
        name =
            exact
            ? argument ?? "" : try SpriteResolver.resolve(argument, context, repository: repository, settings: settings)
        if let why = Self.unaddressable(name) {
            throw SpriteError(
                "'\(name)' is not a sprite name (\(why))", hints: ["see the sprites there are: git sprite ls"],
                status: .usage)
        }
        let repository = self.repository
        let isBranch =
            !exact && argument.map { (try? repository?.resolve(reference: "refs/heads/" + $0)) != nil } ?? false
        branchArgument = isBranch && argument != name ? argument : nil
        namedBySpriteName = argument != nil && !isBranch
    }

    /// Why `name` cannot be one segment of the API's paths (`/v1/sprites/NAME/exec`), or nil.
    /// Names made elsewhere are taken as they are, but none of these: `.` and `..` are dot
    /// segments a URL library folds away (`/v1/sprites/./exec` is the sprite `exec`), and a
    /// `/`, `?`, `#`, `%`, space or control character would change what the path says.
    static func unaddressable(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "." || name == ".." { return "a dot segment" }
        if name.unicodeScalars.contains(where: {
            $0.value <= 0x20 || $0.value == 0x7F || "/?#%\\".unicodeScalars.contains($0)
        }) {
            return "it has a space, a control character or one of / ? # % \\"
        }
        return nil
    }

    /// The sprite, or nil when there is none; an argument that is both a branch and another
    /// sprite's name means the branch, and a note says so.
    func lookUp(_ api: any SpritesService, context: Context) throws -> Sprite? {
        guard let sprite = try api.getSprite(name) else { return nil }
        noteIfBranchWins(api, context: context)
        return sprite
    }

    /// The sprite (`lookUp`), or the error that it does not exist.
    func existing(_ api: any SpritesService, context: Context) throws -> Sprite {
        guard let sprite = try lookUp(api, context: context) else { throw missing }
        return sprite
    }

    private func noteIfBranchWins(_ api: any SpritesService, context: Context) {
        guard let argument = branchArgument, (try? api.getSprite(argument)) != nil else { return }
        context.terminal.note(
            "note: '\(argument)' is a branch and also a sprite's name: using the branch's sprite "
                + "\(name) (for the other, run this outside the repository)")
    }

    /// What a failure to start a command in the sprite means to the user: a sprite that is not
    /// there, a workspace `up` has not made yet, a `--dir` that is not there, or what the
    /// connection makes of it.
    func execFailure(_ error: Error, directory: String?) -> Error {
        switch error {
        case APIError.http(let f) where f.status == 404:
            return missing
        case APIError.http(let f) where f.status == 400 && f.message.contains("working directory"):
            guard let directory, directory != SpritePaths.workspace else {
                return SpriteError(
                    "sprite '\(name)' has no \(SpritePaths.workspace) yet",
                    hints: ["ship the code first: git sprite up"])
            }
            return SpriteError(
                "sprite '\(name)' has no directory \(directory)",
                hints: ["see what is there: git sprite exec \(shellQuote(name)) -- ls -la \(SpritePaths.home)"])
        default:
            return connection.translate(error)
        }
    }

    /// How a hint names the sprite: as it was named here (`argument`), so copying the hint acts
    /// on the same sprite; by its own name (`resolved`) when the argument begins with `-`,
    /// which the parser would read as an option (an adversarial review: `down -- -x` hinted
    /// `git sprite down --destroy -x`); nothing when none was named.
    static func hintOperand(_ argument: String?, resolved: String?) -> String {
        guard let argument else { return "" }
        guard argument.hasPrefix("-") else { return " " + shellQuote(argument) }
        return resolved.map { " " + shellQuote($0) } ?? " -- " + shellQuote(argument)
    }

    /// The error for a sprite that is not there; its hint starts that sprite, not the current
    /// branch's (an adversarial review: `exec other -- true` hinted `git sprite up`).
    var missing: SpriteError {
        let start =
            branchArgument.map { "start it: git switch \(shellQuote($0)) && git sprite up" }
            ?? (namedBySpriteName
                ? "start it here: git sprite up --name \(shellQuote(name))" : "start it: git sprite up")
        return SpriteError(
            "sprite '\(name)' does not exist", hints: [start, "list sprites: git sprite ls"], status: .notFound)
    }
}
