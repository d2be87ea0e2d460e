import Foundation
import SpriteGit
import SpriteSync
import SpritesAPI

/// `git sprite status` (this repository's sprites) and `git sprite ls --all`. Sprites that are
/// awake (running or warm) are looked into, all at once: the agent's state and what the
/// workspace holds that is not home. A cold sprite is not woken just to be listed; `deep`
/// looks into every sprite.
public enum StatusWorkflow {
    public static func run(_ context: Context, all: Bool, deep: Bool = false, look: Bool = true) throws -> [StatusEntry]
    {
        let repo: Repository? = all ? nil : try RepositoryLocator.primary(context)
        // `ls --all` lists every repository's sprites, but on the host this one's settings name
        // (sprite.api=local in its git config), when run in one
        let settingsRepository = all ? (try? RepositoryLocator.primary(context)) : repo
        let settings = try SettingsLoader(environment: context.environment, repository: settingsRepository).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let connection = try Connection.make(settings: settings, context: context)
        var repoName: String?
        var identity: RepositoryIdentity?
        var recorded: Set<String> = []
        if let repo = settingsRepository {
            let plan = PlanBuilder(context: context, repository: repo, settings: settings)
            repoName = plan.repositoryID()
            identity = plan.identity()
            recorded = Set(((try? repo.config().entries(matching: #"^branch\..*\.sprite$"#)) ?? []).compactMap(\.value))
        }
        let host = settings.apiURL == "local" ? "local sprite-host" : settings.apiURL
        let pricing = Pricing(settings: settings)
        let now = context.clock.now()
        return try connection.perform { api in
            let sprites = try SpriteListing.all(api)
            // the sprites of the repository this runs in: what is home is known for them alone
            var ours: Set<String> = []
            var rows: [StatusEntry] = sprites.compactMap { s in
                let labels = s.labels ?? []
                guard labels.contains(SpriteLabels.marker) else { return nil }
                let r = SpriteLabels.value("repo", in: labels)
                // another repository of the same folder name (its root commit differs) is not
                // this one, unless a branch here records the sprite as its own
                let sameRoot =
                    identity?.root == nil || SpriteLabels.value("root", in: labels).map { $0 == identity?.root } ?? true
                let isOurs = repoName != nil && r == repoName && (sameRoot || recorded.contains(s.name))
                if isOurs { ours.insert(s.name) }
                if !all && !isOurs { return nil }
                // what the server says is shown as printable text only
                let clean = ServerText.oneLine
                let branch = SpriteLabels.value("branch", in: labels)
                var entry = StatusEntry(
                    name: clean(s.name), state: clean(s.status?.description ?? "unknown"), repo: r.map(clean),
                    branch: branch.map(clean), createdAt: s.createdAt.map(clean),
                    // a URL a browser opens, never a transport's (http+unix://)
                    url: s.url.map(clean).flatMap { $0.hasPrefix("https://") || $0.hasPrefix("http://") ? $0 : nil },
                    host: host)
                entry.expires = SpriteLabels.expiry(labels, branch: branch, repo: repo)
                entry.superseded =
                    (try? repo?.references(matching: Homecoming.spriteRefs(s.name) + "superseded/*"))?.count ?? 0
                return entry
            }
            let sizes = Dictionary(sprites.map { ($0.name, $0.config) }, uniquingKeysWith: { a, _ in a })
            guard look else { return rows }
            let ownSprites = ours
            let looked = Locked(rows)
            // a cold sprite is not woken to look at unless asked (--deep)
            let skipped = rows.map { !deep && $0.state == "cold" }
            // what is at home is read here, once per sprite looked at: a repository is not for
            // two threads
            let homes = rows.indices.map { i in
                skipped[i]
                    ? [] : home(of: rows[i].name, in: ownSprites.contains(rows[i].name) ? settingsRepository : nil)
            }
            let snapshot = rows
            DispatchQueue.concurrentPerform(iterations: snapshot.count) { i in
                let row = snapshot[i]
                var entry = row
                if skipped[i] {
                    entry.agentUnknown = "cold: not woken to look (git sprite status --deep)"
                } else {
                    do {
                        entry.agent = try AgentReport.look(api, sprite: row.name, home: homes[i])
                        // what another repository has at home is not known here: not counted
                        if !ownSprites.contains(row.name) { entry.agent?.unfetched = nil }
                    } catch {
                        entry.agentUnknown = (error as? SpriteError)?.message ?? "\(connection.translate(error))"
                    }
                }
                let config = sizes[row.name] ?? nil
                // sprites of the user's own sprite-host cost nothing: nothing is priced
                if settings.apiURL != "local" {
                    entry.cost = CostSoFar.estimate(
                        createdAt: row.createdAt.flatMap(Timestamps.parse), now: now,
                        runningSeconds: entry.agent?.runningSeconds, looked: entry.agent != nil,
                        cpus: config?.cpus ?? settings.cpu,
                        memoryGB: config?.ramMB.map { max(1, $0 / 1024) } ?? settings.memoryGB,
                        storageGB: config?.storageGB ?? settings.storageGB, pricing: pricing)
                }
                looked.withLock { $0[i] = entry }
            }
            rows = looked.value
            for row in rows where row.superseded > 0 {
                context.terminal.note(
                    "note: \(row.name): \(Homecoming.count(row.superseded, "old value")) of its refs "
                        + "kept after a fetch moved past them (git for-each-ref refs/sprite/\(row.name)/superseded/)")
            }
            for row in rows {
                guard let expires = row.expires, expires <= now else { continue }
                context.terminal.warn(
                    "\(row.name) expired \(AgentReport.duration(now.timeIntervalSince(expires))) ago "
                        + "(remove it, its work brought home first: git sprite prune --expired)")
            }
            return rows
        }
    }

    /// The commits of a sprite that are home: what `up` shipped and what was fetched.
    static func home(of sprite: String, in repo: Repository?) -> [String] {
        guard let repo else { return [] }
        let refs =
            ((try? repo.references(matching: Homecoming.branchRefs(sprite) + "*")) ?? [])
            + ((try? repo.references(matching: Homecoming.spriteRefs(sprite) + "*")) ?? [])
        return Array(Set(refs.map(\.target.hex))).sorted()
    }
}
