import Foundation
import SpriteSync

/// Runs the `git` executable for what libgit2 does not do here: transports (push and fetch
/// through `git-remote-sprite`) and building a snapshot commit from a temporary index.
struct LocalGit {
    let directory: String
    let environment: [String: String]

    /// git's repository variables: when git runs us (`git --git-dir=… sprite`) they name the
    /// repository git started in, and would point a command meant for `directory` (a linked
    /// repo, a submodule, the sprite's side of a push) at that one instead.
    static let repositoryVariables: Set<String> = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX"]

    /// Runs git in `directory`, which alone says which repository: `repositoryVariables` are
    /// removed from `environment`.
    init(directory: String, environment: [String: String]) {
        self.directory = directory
        self.environment = environment.filter { !Self.repositoryVariables.contains($0.key) }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    @discardableResult
    func run(_ args: [String], extraEnvironment: [String: String] = [:], trimming: Bool = true) throws -> Result {
        let (status, outData, errData) = try SpawnedChild.capture(
            "git", args, environment: environment.merging(extraEnvironment) { $1 }, directory: directory,
            leftAlone: Self.finishesAlone(args))
        let stdout = String(decoding: outData, as: UTF8.self)
        return Result(
            status: status,
            stdout: trimming ? stdout.trimmingCharacters(in: .whitespacesAndNewlines) : stdout,
            stderr: String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether git's command writes the repository's refs or work tree in one short step
    /// (`update-ref`, `apply`): such a command is left to finish when Ctrl-C stops us
    /// (`SpawnedChild.start(leftAlone:)`), so it never leaves its lock behind. Every other command stops
    /// at Ctrl-C: the snapshot's `add -A` of a huge file, a `log -S` over a long history, the
    /// transfers, which may take minutes.
    static func finishesAlone(_ args: [String]) -> Bool {
        var i = 0
        while i < args.count {
            switch args[i] {
            case "-c", "-C", "--git-dir", "--work-tree", "--namespace": i += 2
            case let option where option.hasPrefix("-"): i += 1
            case let command: return command == "update-ref" || (command == "apply" && !args.contains("--check"))
            }
        }
        return false
    }

    /// The informative line of git's stderr: a rejection, our helper's error, a fatal error,
    /// any other error (without its `error: `: `invalid option: -x`, before the usage text
    /// whose last line was shown), else the last line.
    static func reason(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.first { $0.contains("[remote rejected]") || $0.hasPrefix("error: git-remote") }
            ?? lines.first { $0.hasPrefix("fatal:") }
            ?? lines.first { $0.hasPrefix("error: ") }.map { String($0.dropFirst("error: ".count)) }
            ?? lines.last ?? "unknown error"
    }

    /// Runs git and fails with the informative line of its stderr.
    @discardableResult
    func check(_ args: [String], what: String, extraEnvironment: [String: String] = [:]) throws -> String {
        let r = try run(args, extraEnvironment: extraEnvironment)
        guard r.status == 0 else {
            throw SpriteError("\(what) failed: \(Self.reason(r.stderr))", detail: r.stderr)
        }
        return r.stdout
    }

    /// A commit holding the work tree as it is (tracked changes and untracked, non-ignored
    /// files) on top of HEAD, built in a temporary index so the user's index is never touched.
    /// Submodules keep the commits HEAD records (they travel on their own), which is also how
    /// the sprite's side computes the tree it compares with.
    ///
    /// `included` ignored files (named in `.spriteinclude`) are added to the commit, but `tree`
    /// is the tree without them: what the sprite's side computes for its uncommitted changes
    /// (git leaves ignored files out), so a sprite holding exactly this snapshot reads as such.
    func snapshotCommit(submodules: [String] = [], included: [String] = []) throws -> (commit: String, tree: String) {
        let tmp = TemporaryFiles.make("git-sprite-index-")
        defer { TemporaryFiles.remove(tmp) }
        let env = ["GIT_INDEX_FILE": tmp]
        // a copy of the index, not HEAD read afresh: it keeps the skip-worktree bits of a sparse
        // checkout, so files outside the cone are not taken for deleted
        let index = try check(
            ["rev-parse", "--path-format=absolute", "--git-path", "index"], what: "finding the index")
        if (try? FileManager.default.copyItem(atPath: index, toPath: tmp)) == nil {
            try check(["read-tree", "HEAD"], what: "reading HEAD", extraEnvironment: env)
        } else if !submodules.isEmpty {
            try check(
                ["reset", "-q", "HEAD", "--"] + submodules.map { ":(literal)" + $0 }, what: "reading HEAD",
                extraEnvironment: env)
        }
        try unmark(env)
        try check(
            ["add", "-A", "--", "."] + submodules.map { ":(exclude,literal)" + $0 },
            what: "collecting uncommitted changes", extraEnvironment: env)
        let tree = try check(["write-tree"], what: "writing the snapshot tree", extraEnvironment: env)
        var full = tree
        if !included.isEmpty {
            try check(
                ["add", "-f", "--"] + included.map { ":(literal)" + $0 },
                what: "adding the files named in .spriteinclude",
                extraEnvironment: env)
            full = try check(["write-tree"], what: "writing the snapshot tree", extraEnvironment: env)
        }
        let commit = try check(
            ["commit-tree", full, "-p", "HEAD", "-m", "git-sprite snapshot of uncommitted changes"],
            what: "writing the snapshot commit",
            extraEnvironment: [
                "GIT_AUTHOR_NAME": "git-sprite", "GIT_AUTHOR_EMAIL": "git-sprite@localhost",
                "GIT_COMMITTER_NAME": "git-sprite",
                "GIT_COMMITTER_EMAIL": "git-sprite@localhost",
            ])
        return (commit, tree)
    }
}

extension LocalGit {
    /// Clears, in the index `env` names (a copy), the assume-unchanged and skip-worktree marks
    /// of the files they hide: `git add -A` looks past both, so an edit to a marked file never
    /// reached the sprite (an adversarial review; the sprite's side counts such edits as work
    /// too). A skip-worktree file missing from the work tree keeps its mark: a sparse checkout
    /// leaves it out on purpose. Names that are not UTF-8 cannot be passed on and keep theirs.
    func unmark(_ env: [String: String]) throws {
        let (status, listing, _) = try SpawnedChild.capture(
            "git", ["ls-files", "-v", "-z"], environment: environment.merging(env) { $1 }, directory: directory)
        guard status == 0 else { return }
        var assumed: [String] = [], skipped: [String] = []
        for record in listing.split(separator: 0) where record.count > 2 && record[record.startIndex + 1] == 0x20 {
            let tag = record[record.startIndex]
            guard let path = String(validating: record.dropFirst(2), as: UTF8.self) else { continue }
            if tag == UInt8(ascii: "S") || tag == UInt8(ascii: "s") {
                var st = stat()
                if lstat(directory + "/" + path, &st) == 0 { skipped.append(path) }
            } else if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(tag) {
                assumed.append(path)
            }
        }
        for (flag, paths) in [("--no-assume-unchanged", assumed + skipped), ("--no-skip-worktree", skipped)] {
            var rest = paths[...]
            while !rest.isEmpty {
                try run(["update-index", flag, "--"] + rest.prefix(1000), extraEnvironment: env)
                rest = rest.dropFirst(1000)
            }
        }
    }
}

/// Why the sprite refused a push, read from `git push --porcelain` (a stable format) rather
/// than from git's English: `!` lines whose summary is `[rejected]` were refused here (the
/// sprite has commits this side lacks: non-fast-forward, fetch first), `[remote rejected]`
/// ones by the sprite (with `updateInstead`: its work tree has uncommitted changes).
enum PushRefusal: Equatable {
    case none
    case rejected
    case remoteRejected

    init(porcelain: String) {
        var found = PushRefusal.none
        for line in porcelain.split(separator: "\n") where line.hasPrefix("!") {
            let summary = line.split(separator: "\t").dropFirst(2).first ?? ""
            if summary.hasPrefix("[remote rejected]") {
                found = .remoteRejected
            } else if found == .none {
                found = .rejected
            }
        }
        self = found
    }
}
