import Foundation
import SpriteGit
import SpritesAPI

/// `git sprite down`: stop the agent, then park or destroy the sprite.
public enum DownWorkflow {
    public static func run(_ context: Context, sprite argument: String?, destroy: Bool) throws -> String {
        let target = try SpriteTarget(context, sprite: argument)
        let (repo, settings, name) = (target.repository, target.settings, target.name)
        return try target.connection.perform { api in
            guard try api.getSprite(name) != nil else {
                throw target.missing
            }
            try api.deleteService(name, name: Agent.service)
            if destroy || settings.autoDestroy {
                try api.deleteSprite(name)
                if let repo, let branch = try? repo.head().branchName {
                    try? repo.unsetLocalConfig("branch.\(branch).sprite")
                }
                return "destroyed \(name)"
            }
            return "stopped the agent; \(name) is parked and hibernates when idle (delete it: git sprite down --destroy)"
        }
    }
}
