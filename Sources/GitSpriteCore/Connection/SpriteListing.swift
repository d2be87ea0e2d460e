import Foundation
import SpriteSync
import SpritesAPI

/// The account's sprites with what git-sprite needs of each (labels, status, times, config).
///
/// The API documents list entries with only `name`, `org_slug` and `updated_at`, and the Go
/// SDK drops `labels` from them: a client that selected this repository's sprites by the
/// labels of list entries would find none against such a service. An entry without labels or
/// status is looked up whole (`GET /v1/sprites/{name}`, a few at a time); our host, and the
/// service as it answers today, send whole entries, so this costs nothing there.
enum SpriteListing {
    /// How many lookups run at once.
    static let parallelLookups = 8

    static func all(_ api: any SpritesService, prefix: String? = nil) throws -> [Sprite] {
        let listed = try api.listSprites(prefix: prefix)
        let sparse = listed.indices.filter { listed[$0].labels == nil || listed[$0].status == nil }
        guard !sparse.isEmpty else { return listed }
        let found = Locked([Int: Sprite?]())
        try concurrently(sparse, limit: parallelLookups) { index in
            let whole = try api.getSprite(listed[index].name)
            found.withLock { $0[index] = whole }
        }
        let looked = found.value
        // a sprite deleted between the list and the lookup is gone
        let lookedUp = Set(sparse)
        return listed.indices.compactMap { i in lookedUp.contains(i) ? (looked[i] ?? nil) : listed[i] }
    }
}
