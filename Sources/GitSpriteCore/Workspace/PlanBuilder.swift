import Foundation
import SpriteGit

/// Reads the primary repository, its linked repos and all submodules into a `WorkspacePlan`.
public struct PlanBuilder {
    let context: Context
    let repository: Repository
    let settings: Settings

    public init(context: Context, repository: Repository, settings: Settings) {
        self.context = context
        self.repository = repository
        self.settings = settings
    }

    public func build() throws -> WorkspacePlan {
        var warnings: [String] = []
        let primary = try describe(repository, mount: nil, spritePath: SpritePaths.workspace, warnings: &warnings)
        var linked: [RepoPlan] = []
        for link in try LinkStore(repository: repository).links() {
            let repo = try RepositoryLocator.linked(at: link.path, mount: link.mount, context)
            linked.append(
                try describe(
                    repo, mount: link.mount, spritePath: SpritePaths.repos + "/" + link.mount,
                    warnings: &warnings))
        }
        let (name, source) = try spriteName(primary)
        let identity = GitIdentity.resolve(settings: settings, repository: repository, environment: context.environment)
        if let warning = identity.warning { warnings.append(warning) }
        var plan = WorkspacePlan(
            spriteName: name, nameSource: source, primary: primary, linked: linked,
            warnings: warnings)
        plan.identity = identity
        return plan
    }

    /// `--name`/`sprite.name`, else the recorded `branch.<b>.sprite`, else derived.
    func spriteName(_ primary: RepoPlan) throws -> (String, WorkspacePlan.NameSource) {
        let repoName = Self.repositoryID(repository, remoteURL: primary.remoteURL)
        guard let branch = primary.branch else {
            if let name = settings.spriteName { return (name, nameSource) }
            return (SpriteName.forDetachedHead(primary.head?.hex ?? "", repository: repoName), .detached)
        }
        return try spriteName(
            forBranch: branch, repositoryID: repoName, derived: primary.head == nil ? .unborn : .branch)
    }

    /// The sprite name of a branch of this repository: `sprite.name`, else the recorded
    /// `branch.<b>.sprite`, else derived.
    public func spriteName(forBranch branch: String) throws -> String {
        try spriteName(forBranch: branch, repositoryID: repositoryID(), derived: .branch).0
    }

    private var nameSource: WorkspacePlan.NameSource {
        if case .flag = settings[.name].origin { return .flag }
        return .config
    }

    private func spriteName(
        forBranch branch: String, repositoryID: String,
        derived: WorkspacePlan.NameSource
    ) throws -> (String, WorkspacePlan.NameSource) {
        if let name = settings.spriteName { return (name, nameSource) }
        if let recorded = try repository.config().allValues(of: "branch.\(branch).sprite").last,
            SpriteName.problem(with: recorded) == nil
        {
            return (recorded, .recorded)
        }
        return (SpriteName.forBranch(branch, repository: repositoryID), derived)
    }

    /// The remote a repository's code comes from: the branch's upstream remote, else
    /// `origin`, else the only remote; nil when there is none or the choice is ambiguous.
    static func chooseRemote(_ repo: Repository, branch: String?) throws -> (name: String?, upstream: Upstream?) {
        let upstream = try branch.flatMap { try repo.upstream(ofBranch: $0) }
        let remotes = try repo.remoteNames()
        let name = upstream?.remote ?? (remotes.contains("origin") ? "origin" : (remotes.count == 1 ? remotes[0] : nil))
        return (name, upstream)
    }

    /// The repository's folded name, as sprite names and labels use it.
    public func repositoryID() -> String {
        let branch = (try? repository.head())?.branchName
        let remote = (try? Self.chooseRemote(repository, branch: branch))?.name
        let url = remote.flatMap { (try? repository.remoteURL($0)) ?? nil }
        return Self.repositoryID(repository, remoteURL: url.map(RemoteURL.redacted))
    }

    /// This repository as its sprites' labels record it: its folded name, and the root of its
    /// history (`SpriteLabels`), which two unrelated repositories of the same name never share.
    public func identity() -> RepositoryIdentity { identity(root: headRoot()) }

    /// This repository's identity with the root `headRoot()` found.
    public func identity(root found: HeadRoot?) -> RepositoryIdentity {
        RepositoryIdentity(name: repositoryID(), root: found.map { String($0.root.hex.prefix(16)) })
    }

    /// HEAD's commit and the root of its first-parent chain; nil without commits. A walk of the
    /// whole chain the first time (60 ms in 10,000 commits); on a branch `up` ran on before, a
    /// walk to the commit it recorded (`recordRoot`).
    public func headRoot() -> HeadRoot? {
        guard let head = try? repository.head(), let commit = head.commit else { return nil }
        let known = head.branchName.flatMap(knownRoot(ofBranch:))
        let root =
            try? known.map { try repository.firstParentRoot(of: commit, knowing: ($0.commit, $0.root)) }
            ?? repository.firstParentRoot(of: commit)
        return root.map { HeadRoot(commit: commit, root: $0) }
    }

    public struct HeadRoot: Sendable, Equatable {
        let commit: ObjectID
        let root: ObjectID
    }

    /// The root recorded for a commit of the branch (`branch.<branch>.spriteRoot`: the commit,
    /// a space, its first-parent root); nil when unset or not two object ids.
    func knownRoot(ofBranch branch: String) -> HeadRoot? {
        guard let value = try? repository.config().allValues(of: Self.rootKey(branch)).last else { return nil }
        let parts = value.split(separator: " ").map(String.init)
        let hex = /^[0-9a-f]{40}$/
        guard parts.count == 2, parts.allSatisfy({ $0.wholeMatch(of: hex) != nil }) else { return nil }
        return HeadRoot(commit: ObjectID(hex: parts[0]), root: ObjectID(hex: parts[1]))
    }

    static func rootKey(_ branch: String) -> String { "branch.\(branch).spriteRoot" }

    /// Records `found` for the branch, for the next `headRoot()` to stop at (when it changed).
    func recordRoot(_ found: HeadRoot, branch: String) {
        guard knownRoot(ofBranch: branch) != found else { return }
        try? repository.setLocalConfig(Self.rootKey(branch), to: found.commit.hex + " " + found.root.hex)
    }

    static func repositoryID(_ repo: Repository, remoteURL: String?) -> String {
        let name = SpriteName.fold(repositoryName(repo, remoteURL: remoteURL))
        return name.isEmpty ? "repo" : name
    }

    /// The repository's name: its remote's last path component, else its directory's name.
    static func repositoryName(_ repo: Repository, remoteURL: String?) -> String {
        if let url = remoteURL {
            var last = url.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init) ?? ""
            if last.hasSuffix(".git") { last.removeLast(4) }
            if !last.isEmpty { return last }
        }
        let common = repo.commonDir
        if common.hasSuffix("/.git") {
            return (String(common.dropLast(5)) as NSString).lastPathComponent
        }
        return ((repo.workdir ?? common) as NSString).lastPathComponent
    }

    func describe(
        _ repo: Repository, mount: String?, spritePath: String,
        warnings: inout [String]
    ) throws -> RepoPlan {
        let head = try repo.head()
        let branch = head.branchName
        let (remoteName, upstream) = try Self.chooseRemote(repo, branch: branch)
        let rawURL = try remoteName.flatMap { try repo.remoteURL($0) }

        var ahead: Int?, behind: Int?
        if let upstream, let commit = head.commit, let tracked = try repo.resolve(reference: upstream.trackingRef) {
            (ahead, behind) = try repo.aheadBehind(local: commit, upstream: tracked)
        }

        var plan = RepoPlan(
            mount: mount, localPath: repo.workdir ?? repo.gitDir, spritePath: spritePath, branch: branch,
            detached: branch == nil, head: head.commit, remoteName: remoteName,
            remoteURL: rawURL.map(RemoteURL.redacted), upstreamRef: upstream?.trackingRef,
            ahead: ahead, behind: behind, changes: try repo.changeCounts(), operation: repo.operationInProgress,
            transport: .clone, localCommits: 0, transportReason: "", submodules: [])

        let label = plan.label
        if let root = repo.workdir {
            let patterns = IncludedFiles.patterns(root: root, configured: mount == nil ? settings.include : [])
            plan.included = try IncludedFiles.find(root: root, patterns: patterns, environment: context.environment)
            for pattern in plan.included.unmatched {
                warnings.append("\(label): the \(IncludedFiles.fileName) pattern '\(pattern)' matches no ignored file")
            }
        }
        if let root = repo.workdir, let drivers = Self.filterDrivers(root: root), !drivers.isEmpty {
            warnings.append(
                "\(label): files with a .gitattributes filter (\(drivers.joined(separator: ", "))) arrive in the "
                    + "sprite as git stores them (an LFS pointer, the clean bytes), not as your work tree has them")
        }
        if head.commit == nil {
            plan.transport = .none
            plan.localCommits = nil
            plan.transportReason = "no commits yet"
            warnings.append("\(label) has no commits yet; commit something before 'git sprite up'")
        } else if remoteName == nil || rawURL == nil {
            plan.transport = .tunnel
            plan.localCommits = nil
            plan.transportReason =
                try repo.remoteNames().isEmpty
                ? "no remote"
                : "several remotes and none is the upstream or origin"
        } else if let url = rawURL, RemoteURL.isLocal(url) {
            plan.transport = .tunnel
            plan.localCommits = nil
            plan.transportReason = "remote \(remoteName ?? "") is a local path"
        } else if let commit = head.commit, let remoteName {
            let local = try repo.countCommits(from: commit, hiding: ["refs/remotes/\(remoteName)/*"])
            plan.localCommits = local
            if local > 0 {
                plan.transport = .cloneAndTunnel
                plan.transportReason = "\(local) local commit\(local == 1 ? "" : "s") not on \(remoteName)"
            } else {
                plan.transportReason = "HEAD is on \(remoteName)"
            }
        }
        if let op = plan.operation {
            warnings.append(
                "\(label) is in the middle of a \(op.rawValue); 'git sprite up' ships it once you finish "
                    + "(\(op.finish)) or abort (\(op.abort))")
        } else if plan.detached, plan.transport != .none {
            warnings.append("\(label) is on a detached HEAD (\(head.commit?.short ?? "")); the sprite gets that commit")
        }
        let base = rawURL ?? plan.localPath
        plan.submodules = try submodules(
            of: repo, baseURL: base, spritePath: spritePath, label: label,
            warnings: &warnings)
        return plan
    }

    /// The filter drivers the top `.gitattributes` names (`filter=lfs`): the sprite has no
    /// driver, so what it checks out is what git stores.
    static func filterDrivers(root: String) -> [String]? {
        guard let text = try? String(contentsOfFile: root + "/.gitattributes", encoding: .utf8) else { return nil }
        var drivers: [String] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) where word.hasPrefix("filter=") {
                let name = String(word.dropFirst("filter=".count))
                if !name.isEmpty && !drivers.contains(name) { drivers.append(name) }
            }
        }
        return drivers
    }

    func submodules(
        of repo: Repository, baseURL: String, spritePath: String, label: String,
        warnings: inout [String]
    ) throws -> [SubmodulePlan] {
        var out: [SubmodulePlan] = []
        for sm in try repo.submodules() {
            let resolved = sm.url.map { RemoteURL.isRelative($0) ? RemoteURL.resolve($0, against: baseURL) : $0 }
            var plan = SubmodulePlan(
                name: sm.name, path: sm.path, spritePath: spritePath + "/" + sm.path,
                url: sm.url.map(RemoteURL.redacted), resolvedURL: resolved.map(RemoteURL.redacted),
                commit: sm.recordedCommit, commitMissing: false, initialized: sm.isInitialized, transport: .clone,
                transportReason: "", submodules: [])
            guard sm.isRegistered else {
                // what a clone of the branch would have too: an empty directory
                plan.transport = .none
                plan.transportReason = "no .gitmodules entry: a repository git add took in"
                warnings.append(
                    "\(sm.path) in \(label) is a repository git add took in, with no .gitmodules entry: "
                        + "it is not shipped (make it a submodule: git submodule add <url> \(shellQuote(sm.path)); "
                        + "or leave it out: git rm --cached \(shellQuote(sm.path)))")
                out.append(plan)
                continue
            }
            var subrepo: Repository?
            if sm.isInitialized {
                subrepo = try? repo.openSubmodule(sm)
                if subrepo == nil { warnings.append("submodule \(sm.path) in \(label) cannot be opened") }
            }
            switch (resolved, subrepo) {
            case (nil, nil):
                plan.transport = .none
                plan.transportReason = "no URL in .gitmodules and not initialised"
                warnings.append(
                    "submodule \(sm.path) in \(label) has no URL and is not initialised; it will be missing")
            case (nil, .some):
                plan.transport = .tunnel
                plan.transportReason = "no URL in .gitmodules"
                warnings.append("submodule \(sm.path) in \(label) has no URL in .gitmodules")
            case (let url?, nil) where RemoteURL.isLocal(url):
                plan.transport = .none
                plan.transportReason = "URL is a local path and the submodule is not initialised"
                warnings.append(
                    "submodule \(sm.path) in \(label) is not initialised and its URL is local; "
                        + "run: git submodule update --init \(shellQuote(sm.path))")
            case (let url?, .some) where RemoteURL.isLocal(url):
                plan.transport = .tunnel
                plan.transportReason = "URL is a local path"
            case (_, let sub?):
                let names = try sub.remoteNames()
                let remote = names.contains("origin") ? "origin" : names.first
                if let commit = sm.recordedCommit, let remote {
                    // A recorded commit missing from the submodule's repository is counted as 0:
                    // only the remote can have it, so the clone is the only way to get it.
                    let local = (try? sub.countCommits(from: commit, hiding: ["refs/remotes/\(remote)/*"])) ?? 0
                    if local > 0 {
                        plan.transport = .cloneAndTunnel
                        plan.transportReason = "recorded commit is not on \(remote)"
                    } else {
                        plan.transportReason = "recorded commit is on \(remote)"
                    }
                }
            case (_, nil):
                plan.transportReason = "not initialised locally; cloned from its URL"
            }
            if let sub = subrepo, let commit = sm.recordedCommit, !sub.hasObject(commit) {
                plan.commitMissing = true
                warnings.append(
                    "submodule \(sm.path) in \(label) records commit \(commit.short), which its local clone "
                        + "does not have; fetch it: git -C \(shellQuote(sm.path)) fetch")
            }
            if let sub = subrepo, let commit = sm.recordedCommit {
                // the sprite gets the recorded commit, as a clone would: what the local checkout
                // holds beyond it stayed here without a word (a review of up's fidelity)
                let at = try? sub.head().commit
                let changed = (try? sub.changeCounts().isClean) == false
                if at != commit || changed {
                    warnings.append(
                        "submodule \(sm.path) in \(label) "
                            + (at != commit
                                ? "is checked out at \(at?.short ?? "no commit"), not at"
                                : "has uncommitted changes over")
                            + " the commit \(label) records (\(commit.short)): the sprite gets that commit; "
                            + "to ship what you have, commit it in the submodule, then record it here: "
                            + "git add \(shellQuote(sm.path)) && git commit (a staged pin is not shipped)")
                }
            }
            if let sub = subrepo {
                // The sprite clones the submodule from its resolved URL, so nested relative URLs
                // resolve against that, not against the local clone's remote.
                let subBase = resolved ?? (try? sub.remoteURL("origin")).flatMap { $0 } ?? plan.spritePath
                plan.submodules = try submodules(
                    of: sub, baseURL: subBase, spritePath: plan.spritePath,
                    label: label, warnings: &warnings)
            }
            out.append(plan)
        }
        return out
    }
}
