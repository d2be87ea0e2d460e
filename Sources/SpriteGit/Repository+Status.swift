import CGit2

/// Counts of local changes, as `git status` groups them.
public struct ChangeCounts: Equatable, Sendable, Codable {
    /// Tracked files changed in the work tree but not staged.
    public var modified = 0
    /// Files with staged changes.
    public var staged = 0
    /// Untracked files that are not ignored (each file counted, as `git status -uall`).
    public var untracked = 0
    /// Files with unresolved merge conflicts.
    public var conflicted = 0

    public init() {}

    /// True when nothing would travel as a snapshot.
    public var isClean: Bool { modified == 0 && staged == 0 && untracked == 0 && conflicted == 0 }
}

extension Repository {
    /// Counts modified, staged, untracked and conflicted files, leaving submodules aside.
    public func changeCounts() throws -> ChangeCounts {
        var opts = git_status_options()
        try check(git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        opts.flags =
            GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
            | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &opts), "git_status_list_new")
        defer { git_status_list_free(list) }
        // libgit2 1.5 knows no sparse checkout: a file outside the cone (skip-worktree in the
        // index) is absent on purpose, not deleted
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "git_repository_index")
        defer { git_index_free(index) }
        func sparse(_ entry: UnsafePointer<git_status_entry>) -> Bool {
            guard let path = entry.pointee.index_to_workdir?.pointee.old_file.path,
                let indexed = git_index_get_bypath(index, path, 0)
            else { return false }
            return UInt32(indexed.pointee.flags_extended) & GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue != 0
        }
        var counts = ChangeCounts()
        let staged: UInt32 =
            GIT_STATUS_INDEX_NEW.rawValue | GIT_STATUS_INDEX_MODIFIED.rawValue
            | GIT_STATUS_INDEX_DELETED.rawValue | GIT_STATUS_INDEX_RENAMED.rawValue
            | GIT_STATUS_INDEX_TYPECHANGE.rawValue
        let worktree: UInt32 =
            GIT_STATUS_WT_MODIFIED.rawValue | GIT_STATUS_WT_DELETED.rawValue
            | GIT_STATUS_WT_TYPECHANGE.rawValue | GIT_STATUS_WT_RENAMED.rawValue
        for i in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, i) else { continue }
            let s = entry.pointee.status.rawValue
            if s & GIT_STATUS_CONFLICTED.rawValue != 0 {
                counts.conflicted += 1
                continue
            }
            if s & staged != 0 { counts.staged += 1 }
            if s & worktree != 0, !(s & GIT_STATUS_WT_DELETED.rawValue != 0 && sparse(entry)) { counts.modified += 1 }
            if s & GIT_STATUS_WT_NEW.rawValue != 0 { counts.untracked += 1 }
        }
        return counts
    }
}
