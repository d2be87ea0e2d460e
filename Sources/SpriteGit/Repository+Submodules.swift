import CGit2

#if canImport(Glibc)
    import Glibc
#endif

/// One submodule as the superproject records it.
public struct Submodule: Sendable {
    /// The submodule's name in `.gitmodules`.
    public let name: String
    /// Its path relative to the superproject's work tree.
    public let path: String
    /// The URL as written in `.gitmodules` (possibly relative), or nil when missing.
    public let url: String?
    /// The commit recorded in the superproject's HEAD tree (else its index), or nil.
    public let recordedCommit: ObjectID?
    /// True when the submodule's repository is present in the work tree.
    public let isInitialized: Bool
    /// True when `.gitmodules` names it; false for a gitlink alone (a repository `git add`
    /// took in), which git itself cannot check out ("No url found for submodule path").
    public let isRegistered: Bool
}

/// Collects submodule facts inside libgit2's foreach callback; the `git_submodule`
/// handles belong to the repository and are only valid during the callback.
private final class SubmoduleCollector {
    let workdir: String
    var items: [Submodule] = []
    init(workdir: String) { self.workdir = workdir }
}

extension Repository {
    /// Lists this repository's direct submodules in path order.
    public func submodules() throws -> [Submodule] {
        guard let workdir else { return [] }
        let collector = SubmoduleCollector(workdir: workdir)
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        let rc = git_submodule_foreach(
            pointer,
            { sm, name, payload in
                guard let sm, let payload else { return 0 }
                let collector = Unmanaged<SubmoduleCollector>.fromOpaque(payload).takeUnretainedValue()
                let path = git_submodule_path(sm).map { String(cString: $0) } ?? ""
                let url = git_submodule_url(sm).map { String(cString: $0) }
                let recorded = git_submodule_head_id(sm) ?? git_submodule_index_id(sm)
                let gitPath = collector.workdir + "/" + path + "/.git"
                var location: UInt32 = 0
                let located = git_submodule_location(&location, sm) == 0
                let inGitmodules = UInt32(GIT_SUBMODULE_STATUS_IN_CONFIG.rawValue)
                collector.items.append(
                    Submodule(
                        name: name.map { String(cString: $0) } ?? path,
                        path: path,
                        url: url,
                        recordedCommit: recorded.map { ObjectID($0.pointee) },
                        isInitialized: access(gitPath, F_OK) == 0,
                        isRegistered: !located || location & inGitmodules != 0
                    ))
                return 0
            }, payload)
        try check(rc, "git_submodule_foreach")
        return collector.items.sorted { $0.path < $1.path }
    }

    /// Opens an initialised submodule's repository.
    public func openSubmodule(_ submodule: Submodule) throws -> Repository {
        guard let workdir else { throw RepositoryOpenError.notFound(path: submodule.path) }
        return try Repository.open(at: workdir + "/" + submodule.path, configFiles: configFiles)
    }
}
