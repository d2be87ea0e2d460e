import Foundation
import SpriteGit
import SpritesAPI

/// `up`'s sprite: this repository's, found by name and labels, or created.
extension UpWorkflow {
    /// Finds the branch's sprite or creates it; a sprite of that name that is not this
    /// repository's is never taken over.
    static func ensureSprite(
        _ api: any SpritesService, plan: WorkspacePlan, identity: @autoclosure () -> RepositoryIdentity,
        settings: Settings, createFirst: Bool = true, expires: Date? = nil
    ) throws -> (Sprite, Bool) {
        do {
            return try ensureSprite(
                api, named: plan.spriteName, plan: plan, identity: identity(), settings: settings,
                createFirst: createFirst, expires: expires)
        } catch let taken as NameTaken {
            // a name derived from the branch is made this repository's own; one the user chose is not
            guard [.branch, .unborn, .detached].contains(plan.nameSource), let root = identity().root else {
                throw taken.error
            }
            let own = SpriteName.disambiguated(plan.spriteName, root: root)
            do {
                return try ensureSprite(
                    api, named: own, plan: plan, identity: identity(), settings: settings,
                    createFirst: false, expires: expires)
            } catch let again as NameTaken {
                throw again.error
            }
        }
    }

    /// The name is another repository's sprite's.
    struct NameTaken: Error {
        let error: SpriteError
    }

    private static func ensureSprite(
        _ api: any SpritesService, named name: String, plan: WorkspacePlan,
        identity: @autoclosure () -> RepositoryIdentity, settings: Settings, createFirst: Bool,
        expires: Date?
    ) throws -> (Sprite, Bool) {
        func resumed(_ existing: Sprite) throws -> (Sprite, Bool) {
            guard SpriteLabels.belongs(existing.labels, to: identity()) else {
                throw NameTaken(
                    error: SpriteError(
                        "the sprite name '\(name)' is taken by a sprite that is not this repository's",
                        hints: ["choose another name: git sprite up --name <name>"]))
            }
            return (existing, false)
        }
        if !createFirst, let existing = try api.getSprite(name) {
            return try resumed(existing)
        }
        let spec = SpriteCreation(
            name: name,
            labels: SpriteLabels.make(
                identity(), branch: plan.primary.branch,
                expires: expires),
            cpus: settings.cpu, ramMB: settings.memoryGB * 1024, storageGB: settings.storageGB)
        do {
            return (try api.createSprite(spec), true)
        } catch APIError.http(let f) where f.status == 409 || f.status == 400 {
            // a name that is taken is a 409 or a 400 (the docs say both), but a 400 may also
            // refuse the request itself: what exists is looked up, never assumed
            if let existing = try api.getSprite(name) { return try resumed(existing) }
            guard f.status == 400, spec.cpus != nil || spec.ramMB != nil || spec.storageGB != nil else {
                throw APIError.http(f)
            }
            // resources are "not configurable yet" (the docs): a service that refuses them gets
            // a sprite of its own size
            var plain = spec
            (plain.cpus, plain.ramMB, plain.storageGB) = (nil, nil, nil)
            return (try api.createSprite(plain), true)
        }
    }
}
