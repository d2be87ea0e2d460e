import CGit2

/// Where HEAD points.
public enum HeadState: Equatable, Sendable {
    /// On a branch with at least one commit.
    case branch(name: String, commit: ObjectID)
    /// HEAD holds a commit id directly.
    case detached(commit: ObjectID)
    /// On a branch that has no commits yet.
    case unborn(name: String)

    /// The branch name, or nil when detached.
    public var branchName: String? {
        switch self {
        case .branch(let name, _), .unborn(let name): return name
        case .detached: return nil
        }
    }

    /// The commit HEAD resolves to, or nil on an unborn branch.
    public var commit: ObjectID? {
        switch self {
        case .branch(_, let c), .detached(let c): return c
        case .unborn: return nil
        }
    }
}

/// A branch's configured upstream (`branch.<b>.remote` and `branch.<b>.merge`).
public struct Upstream: Equatable, Sendable {
    /// The remote's name (`origin`).
    public let remote: String
    /// The remote-tracking ref (`refs/remotes/origin/main`).
    public let trackingRef: String
}

extension Repository {
    /// Reads HEAD: branch, detached commit, or unborn branch.
    public func head() throws -> HeadState {
        var ref: OpaquePointer?
        let rc = git_repository_head(&ref, pointer)
        if rc == GIT_EUNBORNBRANCH.rawValue || rc == GIT_ENOTFOUND.rawValue {
            return .unborn(name: try unbornBranchName())
        }
        try check(rc, "git_repository_head")
        guard let ref else { throw GitError(code: -1, function: "git_repository_head", message: "no HEAD") }
        defer { git_reference_free(ref) }
        guard let target = git_reference_target(ref) else {
            throw GitError(code: -1, function: "git_reference_target", message: "HEAD does not resolve")
        }
        let commit = ObjectID(target.pointee)
        if git_repository_head_detached(pointer) == 1 {
            return .detached(commit: commit)
        }
        let name = String(cString: git_reference_name(ref))
        return .branch(name: name.replacingPrefix("refs/heads/"), commit: commit)
    }

    private func unbornBranchName() throws -> String {
        var ref: OpaquePointer?
        try check(git_reference_lookup(&ref, pointer, "HEAD"), "git_reference_lookup")
        defer { git_reference_free(ref) }
        guard let target = git_reference_symbolic_target(ref) else { return "HEAD" }
        return String(cString: target).replacingPrefix("refs/heads/")
    }

    /// The upstream of a local branch, or nil when none is configured.
    public func upstream(ofBranch branch: String) throws -> Upstream? {
        let refname = "refs/heads/" + branch
        var remoteBuf = git_buf()
        let rc = git_branch_upstream_remote(&remoteBuf, pointer, refname)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "git_branch_upstream_remote")
        let remote = consume(&remoteBuf)
        var nameBuf = git_buf()
        let rc2 = git_branch_upstream_name(&nameBuf, pointer, refname)
        if rc2 == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc2, "git_branch_upstream_name")
        return Upstream(remote: remote, trackingRef: consume(&nameBuf))
    }

    /// The names of all configured remotes.
    public func remoteNames() throws -> [String] {
        var list = git_strarray()
        try check(git_remote_list(&list, pointer), "git_remote_list")
        defer { git_strarray_dispose(&list) }
        return (0..<list.count).compactMap { i in list.strings[i].map { String(cString: $0) } }
    }

    /// The fetch URL of a remote after `url.<base>.insteadOf` rewriting, or nil when unset.
    public func remoteURL(_ name: String) throws -> String? {
        var remote: OpaquePointer?
        let rc = git_remote_lookup(&remote, pointer, name)
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
        try check(rc, "git_remote_lookup")
        defer { git_remote_free(remote) }
        guard let url = git_remote_url(remote) else { return nil }
        return String(cString: url)
    }

    /// Resolves a reference name to the commit it points at, or nil when it does not exist.
    public func resolve(reference name: String) throws -> ObjectID? {
        var oid = git_oid()
        let rc = git_reference_name_to_id(&oid, pointer, name)
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
        try check(rc, "git_reference_name_to_id")
        return ObjectID(oid)
    }

    /// Commits `local` has that `upstream` lacks, and the reverse.
    public func aheadBehind(local: ObjectID, upstream: ObjectID) throws -> (ahead: Int, behind: Int) {
        var ahead = 0, behind = 0
        var l = local.raw, u = upstream.raw
        try check(git_graph_ahead_behind(&ahead, &behind, pointer, &l, &u), "git_graph_ahead_behind")
        return (ahead, behind)
    }

    /// The commit where the first-parent chain from `commit` begins: the same in every clone
    /// of a history, and never shared by two unrelated ones.
    public func firstParentRoot(of commit: ObjectID) throws -> ObjectID {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        try check(git_revwalk_simplify_first_parent(walk), "git_revwalk_simplify_first_parent")
        var start = commit.raw
        try check(git_revwalk_push(walk, &start), "git_revwalk_push")
        var last = commit.raw
        var oid = git_oid()
        while true {
            let rc = git_revwalk_next(&oid, walk)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "git_revwalk_next")
            last = oid
        }
        return ObjectID(last)
    }

    /// `firstParentRoot(of:)`, knowing that `known.root` is that of `known.commit` (an earlier
    /// answer): the chain is followed from `commit` until it meets `known.commit` or its own
    /// root, at most `within` commits, and only past that walked to its end. A history that
    /// grew by a few commits since costs a few lookups, not a walk of all of it.
    public func firstParentRoot(
        of commit: ObjectID, knowing known: (commit: ObjectID, root: ObjectID), within: Int = 1000
    ) throws -> ObjectID {
        var current = commit.raw
        var met = known.commit.raw
        for _ in 0..<within {
            if git_oid_equal(&current, &met) != 0 { return known.root }
            var found: OpaquePointer?
            guard git_commit_lookup(&found, pointer, &current) == 0 else { break }
            defer { git_commit_free(found) }
            guard git_commit_parentcount(found) > 0, let parent = git_commit_parent_id(found, 0) else {
                return ObjectID(current)
            }
            current = parent.pointee
        }
        return try firstParentRoot(of: commit)
    }

    /// The references whose names match `glob` (`refs/remotes/sprite/box/*`), each with the
    /// object it finally points at, sorted by name.
    public func references(matching glob: String) throws -> [(name: String, target: ObjectID)] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_glob_new(&iterator, pointer, glob), "git_reference_iterator_glob_new")
        defer { git_reference_iterator_free(iterator) }
        var found: [(name: String, target: ObjectID)] = []
        var ref: OpaquePointer?
        while true {
            let rc = git_reference_next(&ref, iterator)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "git_reference_next")
            defer { git_reference_free(ref) }
            var resolved: OpaquePointer?
            guard git_reference_resolve(&resolved, ref) == 0 else { continue }  // a dangling symbolic ref
            defer { git_reference_free(resolved) }
            if let oid = git_reference_target(resolved), let name = git_reference_name(ref) {
                found.append((String(cString: name), ObjectID(oid.pointee)))
            }
        }
        return found.sorted { $0.name < $1.name }
    }

    /// Counts commits reachable from `commit` but from none of the refs matching `hiddenGlobs`
    /// and none of `hiddenCommits`.
    public func countCommits(
        from commit: ObjectID, hiding hiddenGlobs: [String],
        hidingCommits hiddenCommits: [ObjectID] = []
    ) throws -> Int {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        var start = commit.raw
        try check(git_revwalk_push(walk, &start), "git_revwalk_push")
        for glob in hiddenGlobs {
            let rc = git_revwalk_hide_glob(walk, glob)
            if rc != GIT_ENOTFOUND.rawValue { try check(rc, "git_revwalk_hide_glob") }
        }
        for hidden in hiddenCommits {
            var raw = hidden.raw
            try check(git_revwalk_hide(walk, &raw), "git_revwalk_hide")
        }
        var count = 0
        var oid = git_oid()
        while true {
            let rc = git_revwalk_next(&oid, walk)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "git_revwalk_next")
            count += 1
        }
        return count
    }
}

extension String {
    func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}

/// A git operation stopped half-way (`git status` says "You are in the middle of …").
public enum OperationInProgress: String, Sendable {
    case merge, revert
    case cherryPick = "cherry-pick"
    case bisect, rebase, am

    /// The commands that finish it and that abandon it.
    public var finish: String {
        switch self {
        case .merge: return "git commit"
        case .revert: return "git revert --continue"
        case .cherryPick: return "git cherry-pick --continue"
        case .bisect: return "git bisect reset"
        case .rebase: return "git rebase --continue"
        case .am: return "git am --continue"
        }
    }

    public var abort: String {
        switch self {
        case .merge: return "git merge --abort"
        case .revert: return "git revert --abort"
        case .cherryPick: return "git cherry-pick --abort"
        case .bisect: return "git bisect reset"
        case .rebase: return "git rebase --abort"
        case .am: return "git am --abort"
        }
    }
}

extension Repository {
    /// The operation this repository is in the middle of, if any.
    public var operationInProgress: OperationInProgress? {
        switch git_repository_state(pointer) {
        case Int32(GIT_REPOSITORY_STATE_MERGE.rawValue): return .merge
        case Int32(GIT_REPOSITORY_STATE_REVERT.rawValue), Int32(GIT_REPOSITORY_STATE_REVERT_SEQUENCE.rawValue):
            return .revert
        case Int32(GIT_REPOSITORY_STATE_CHERRYPICK.rawValue), Int32(GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE.rawValue):
            return .cherryPick
        case Int32(GIT_REPOSITORY_STATE_BISECT.rawValue): return .bisect
        case Int32(GIT_REPOSITORY_STATE_REBASE.rawValue), Int32(GIT_REPOSITORY_STATE_REBASE_INTERACTIVE.rawValue),
            Int32(GIT_REPOSITORY_STATE_REBASE_MERGE.rawValue),
            Int32(GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE.rawValue):
            return .rebase
        case Int32(GIT_REPOSITORY_STATE_APPLY_MAILBOX.rawValue): return .am
        default: return nil
        }
    }
}

extension Repository {
    /// True when the object database holds `id` (a recorded submodule commit may be missing).
    public func hasObject(_ id: ObjectID) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0 else { return false }
        defer { git_odb_free(odb) }
        var oid = id.raw
        return git_odb_exists(odb, &oid) != 0
    }
}
