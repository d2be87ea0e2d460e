import Foundation
import SpritesAPI
import SpriteGit

/// `git sprite status` (this repository's sprites) and `git sprite ls --all`. Sprites that are
/// awake (running or warm) are looked into, all at once: the agent's state and what the
/// workspace holds that is not home. A cold sprite is not woken just to be listed; `deep`
/// looks into every sprite.
public enum StatusWorkflow {
    public static func run(_ context: Context, all: Bool, deep: Bool = false, look: Bool = true) throws -> [StatusEntry] {
        let repo: Repository? = all ? nil : try RepositoryLocator.primary(context)
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let connection = try Connection.make(settings: settings, context: context)
        var repoName: String?
        if let repo {
            let plan = PlanBuilder(context: context, repository: repo, settings: settings)
            repoName = plan.repositoryID()
        }
        let host = settings.apiURL == "local" ? "local sprite-host" : settings.apiURL
        return try connection.perform { api in
            let sprites = try api.listSprites()
            var rows: [StatusEntry] = sprites.compactMap { s in
                let labels = s.labels ?? []
                guard labels.contains(SpriteLabels.marker) else { return nil }
                let r = SpriteLabels.value("repo", in: labels)
                if let repoName, r != repoName { return nil }
                // what the server says is shown as printable text only
                let clean = ServerText.oneLine
                return StatusEntry(name: clean(s.name), state: clean(s.status?.description ?? "unknown"), repo: r.map(clean),
                                   branch: SpriteLabels.value("branch", in: labels).map(clean),
                                   createdAt: s.createdAt.map(clean), url: s.url.map(clean), host: host)
            }
            guard look else { return rows }
            let looked = Shared(rows)
            DispatchQueue.concurrentPerform(iterations: rows.count) { i in
                let row = rows[i]
                var entry = row
                if !deep && row.state == "cold" {
                    entry.agentUnknown = "cold: not woken to look (git sprite status --deep)"
                } else {
                    do {
                        entry.agent = try AgentReport.look(api, sprite: row.name, home: home(of: row.name, in: repo))
                    } catch {
                        entry.agentUnknown = (error as? SpriteError)?.message ?? "\(connection.translate(error))"
                    }
                }
                looked.update { $0[i] = entry }
            }
            rows = looked.current
            return rows
        }
    }

    /// The commits of a sprite that are home: what `up` shipped and what was fetched.
    static func home(of sprite: String, in repo: Repository?) -> [String] {
        guard let repo else { return [] }
        let refs = ((try? repo.references(matching: Homecoming.branchRefs(sprite) + "*")) ?? [])
            + ((try? repo.references(matching: Homecoming.spriteRefs(sprite) + "*")) ?? [])
        return Array(Set(refs.map(\.target.hex))).sorted()
    }
}
