import Foundation
import SpriteGit
import SpritesAPI

/// Which sprite a command means: an explicit sprite or branch name, else the current branch's.
public enum SpriteResolver {
    /// Resolves `argument` (a branch of this repository, or a sprite name) to a sprite name.
    public static func resolve(
        _ argument: String?, _ context: Context, repository: Repository?,
        settings: Settings
    ) throws -> String {
        guard let repository else {
            guard let argument else {
                throw SpriteError(
                    "no sprite named",
                    hints: [
                        "outside a repository there is no branch to take it from: name the sprite (git sprite ls lists them)"
                    ],
                    status: .usage)
            }
            return argument
        }
        let builder = PlanBuilder(context: context, repository: repository, settings: settings)
        if let argument {
            if try repository.resolve(reference: "refs/heads/" + argument) != nil {
                return try builder.spriteName(forBranch: argument)
            }
            return argument
        }
        if let name = settings.spriteName { return name }
        let head = try repository.head()
        guard let branch = head.branchName else {
            return SpriteName.forDetachedHead(head.commit?.hex ?? "", repository: builder.repositoryID())
        }
        return try builder.spriteName(forBranch: branch)
    }
}
