import Foundation
import SpriteGit
import SpritesAPI

/// What a homecoming knows of refs and objects here, and the few things it does in the sprite
/// besides fetching.
extension Homecoming {
    /// The refs that show the sprite's state rather than hold its work: `head`, `worktree`,
    /// `included` and each linked worktree's `uncommitted`.
    static func isView(_ ref: String, own: String) -> Bool {
        guard ref.hasPrefix(own) else { return false }
        let rel = ref.dropFirst(own.count)
        return rel == "head" || rel == "worktree" || rel == "included"
            || (rel.hasPrefix("worktrees/") && rel.hasSuffix("/uncommitted"))
    }

    /// Whether `object` is a ref's value here or a commit some ref reaches.
    static func reachable(_ object: ObjectID, in git: LocalGit) throws -> Bool {
        let pointing = try git.run(["for-each-ref", "--count=1", "--points-at", object.hex, "--format=%(refname)"])
        if pointing.status == 0 && !pointing.stdout.isEmpty { return true }
        let type = try git.run(["cat-file", "-t", object.hex])
        // a tag object no ref points at is unreachable, whatever its commit
        guard type.status == 0, type.stdout == "commit" else { return type.status != 0 }
        let unreached = try git.run(["rev-list", "-n", "1", object.hex, "--not", "--all"])
        return unreached.status == 0 && unreached.stdout.isEmpty
    }

    /// A ref name part the inventory offered that is safe under `refs/sprite/<sprite>/`.
    static func safeRefPart(_ part: String) -> Bool {
        !part.isEmpty && !part.hasPrefix("/") && !part.hasPrefix("superseded/") && !part.contains("..")
            && !part.contains(where: { $0.isWhitespace || $0.isNewline || "~^:?*[\\".contains($0) })
    }

    /// `refs/remotes/sprite/s/main` as `sprite/s/main`; other refs whole.
    static func shortName(_ ref: String) -> String {
        ref.hasPrefix("refs/remotes/") ? String(ref.dropFirst("refs/remotes/".count)) : ref
    }

    /// A moment as a ref name part (`20261203T140501Z`).
    static func stamp(_ date: Date) -> String {
        ISO8601DateFormatter.string(
            from: date, timeZone: TimeZone(secondsFromGMT: 0) ?? .current,
            formatOptions: [.withYear, .withMonth, .withDay, .withTime, .withTimeZone])
    }

    /// Writes everything the repositories at `paths` in the sprite hold (all refs, the stash
    /// entries and the uncommitted changes the inventory gave refs) into bundles under
    /// `directory`; returns the bundles' paths, and the paths git could not read as a
    /// repository (a `.git` that leads nowhere, a worktree whose repository is gone: their
    /// files go with the leftovers, and they must not keep a forced destroy from its end).
    func salvage(_ paths: [String], into directory: String) throws -> (bundles: [String], unreadable: [String]) {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        var saved: [String] = [], unreadable: [String] = [], bundled: Set<String> = [], queue = paths
        while !queue.isEmpty {
            let path = queue.removeFirst()
            // gives stash entries and uncommitted changes their refs (again, if a pass did), in
            // the repository and in each submodule checked out in it, at any depth: each is a
            // repository of its own, which a bundle of the one around it does not hold; so is a
            // repository inside a work tree that is no submodule (looked at in its turn)
            // (exit 3: no usable repository there; any other failure stops the destroy)
            guard
                let text = try shipper.remoteRun(
                    InSpriteScript.inventory, [path], what: "looking at the work in \(path)", nilOnExit: 3)
            else {
                unreadable.append(path)
                continue
            }
            let look = ScriptOutput(text)
            var repositories = [path]
            for section in look.sections(startingAt: "repo") {
                let repo = section["repo"].map { $0 == "." ? path : path + "/" + $0 } ?? path
                if repo != path { repositories.append(repo) }
                queue += section.all("nested").map { repo + "/" + $0 }.filter { !bundled.contains($0) }
            }
            for repository in repositories where bundled.insert(repository).inserted {
                if let bundle = try bundle(repository, into: directory) { saved.append(bundle) }
            }
        }
        return (saved, unreadable)
    }

    /// Bundles every ref of the repository at `path` in the sprite into `directory` here; nil
    /// when it has none (a repository with nothing in it: git refuses an empty bundle, and that
    /// stopped the whole salvage, every time).
    private func bundle(_ path: String, into directory: String) throws -> String? {
        let bundle = SpritePaths.state + "/salvage.bundle"
        let made = try shipper.remoteRun(
            [
                "sh", "-c",
                #"""
                cd "$1" || exit 1
                if [ -z "$(git for-each-ref --count=1 --format=x)" ] && ! git rev-parse -q --verify HEAD >/dev/null; then
                  echo empty; exit 0
                fi
                git bundle create -q "$2" --all
                """#,
                "bundle", path, bundle,
            ],
            what: "bundling \(path)")
        if made.contains("empty") { return nil }
        let data = try api.readFile(sprite, path: bundle)
        let name = path.dropFirst(SpritePaths.home.count + 1).replacingOccurrences(of: "/", with: "-") + ".bundle"
        let local = directory + "/" + name
        guard TemporaryFiles.writePrivately(data, to: local, replacing: true) else {
            throw SpriteError("could not write the salvage bundle \(local)")
        }
        return local
    }

    /// The repositories in the sprite: the workspace and each linked repo that is there, by
    /// their paths in the sprite (the listing says which are there, by name).
    func repositoriesInSprite() throws -> [String] {
        let out = try shipper.remoteRun(
            [
                "sh", "-c",
                #"[ -e "$1/.git" ] && echo .; for d in "$2"/*; do [ -e "$d/.git" ] && printf '%s\n' "${d##*/}"; done; :"#,
                "list", SpritePaths.workspace, SpritePaths.repos,
            ],
            what: "listing the repositories")
        return out.split(separator: "\n").map { $0 == "." ? SpritePaths.workspace : SpritePaths.repos + "/" + $0 }
    }

    /// What a destroy must hear of beside the plan's repositories: a repository the sprite
    /// holds under `repos/` that this workspace no longer links (`git sprite unlink`, or linked
    /// again under another name), and one elsewhere in its home with work of its own (a clone
    /// the agent made to try something in: `InSpriteScript.strayRepositories`). Nothing here
    /// can fetch them, so they count as work not home (a forced destroy saves each in a bundle).
    func unreachedRepositories(of plan: WorkspacePlan, into report: inout Report) {
        let ours = Set(([plan.primary] + plan.linked).map(\.spritePath))
        do {
            for path in try repositoriesInSprite() where !ours.contains(path) {
                let mount = String(path.dropFirst(SpritePaths.repos.count + 1))
                report.atRisk.append(
                    "\(path): a repository this one no longer links, whose work cannot come home from here "
                        + "(link it again to fetch it: git sprite link PATH --as \(mount))")
                report.unsafe.append(path)
            }
            let stray = ScriptOutput(
                try shipper.remoteRun(
                    InSpriteScript.strayRepositories, [SpritePaths.home],
                    what: "looking for repositories outside the workspace"))
            for path in stray.all("repository") {
                report.atRisk.append(
                    "\(path): a repository outside the workspace with work of its own (commits on none of its "
                        + "remotes, a stash or changes), which no fetch brings home")
                report.unsafe.append(path)
            }
        } catch {
            report.fail(
                "the repositories in the sprite could not be listed: \((error as? SpriteError)?.message ?? "\(error)")")
        }
    }

    static func count(_ n: Int, _ one: String, _ many: String? = nil) -> String {
        "\(n) \(n == 1 ? one : many ?? one + "s")"
    }
}
