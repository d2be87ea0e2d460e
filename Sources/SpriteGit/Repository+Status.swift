import CGit2

#if canImport(Glibc)
    import Glibc
#endif

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
        counts.modified += try markedChanges(index)
        return counts
    }

    /// Files marked assume-unchanged whose work-tree contents differ from the index (or, only
    /// assumed unchanged, are gone): libgit2's status looks past that mark, as git's does, but
    /// the snapshot takes such edits (`LocalGit.unmark`), so they count. (It does report an
    /// edited skip-worktree file; one that is not there is a sparse checkout's, no change.)
    func markedChanges(_ index: OpaquePointer?) throws -> Int {
        guard let workdir = git_repository_workdir(pointer).map({ String(cString: $0) }) else { return 0 }
        var changed = 0
        for i in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, i) else { continue }
            let assumed = UInt32(entry.pointee.flags) & GIT_INDEX_ENTRY_VALID.rawValue != 0
            let skipped = UInt32(entry.pointee.flags_extended) & GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue != 0
            guard assumed, let raw = entry.pointee.path else { continue }
            let path = workdir + String(cString: raw)
            var st = stat()
            guard lstat(path, &st) == 0 else {
                if !skipped { changed += 1 }
                continue
            }
            var oid = git_oid()
            if st.st_mode & S_IFMT == S_IFLNK {
                var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(path, &target, target.count - 1)
                guard n >= 0 else { continue }
                guard git_odb_hash(&oid, target, n, GIT_OBJECT_BLOB) == 0 else { continue }
            } else if st.st_mode & S_IFMT == S_IFREG {
                guard git_repository_hashfile(&oid, pointer, path, GIT_OBJECT_BLOB, raw) == 0 else { continue }
            } else {
                changed += 1
                continue
            }
            var indexed = entry.pointee.id
            if git_oid_cmp(&oid, &indexed) != 0 { changed += 1 }
        }
        return changed
    }
}
