import Foundation
import SpriteGit

/// Opens repositories the way git does and turns libgit2 failures into advice.
public enum RepositoryLocator {
    /// The repository git-sprite runs in: discovered from the working directory, honouring
    /// `GIT_DIR`/`GIT_WORK_TREE` (git exports them), `-C`, linked worktrees and submodules.
    public static func primary(_ context: Context) throws -> Repository {
        let repo: Repository
        do {
            repo = try Repository.discover(
                from: context.currentDirectory, environment: context.environment,
                trustedDirectories: trusted(context))
        } catch {
            throw translate(error, path: context.currentDirectory, linked: false)
        }
        if repo.isBare || repo.workdir == nil {
            throw SpriteError(
                "\(repo.gitDir) is a bare repository; git sprite needs a work tree",
                hints: [
                    "run it in a worktree of that repository, for example: "
                        + "git -C \(shellQuote(repo.gitDir)) worktree add ../work <branch>"
                ],
                status: .notARepository)
        }
        // found only through GIT_DIR or core.worktree (a dotfile manager's bare repository and
        // $HOME): every git command git-sprite runs finds a repository from its work tree, as a
        // linked repo's or a submodule's must, so up created the sprite and then failed
        if let workdir = repo.workdir, access(workdir + "/.git", F_OK) != 0 {
            throw SpriteError(
                "\(workdir) has no .git of its own: its repository (\(repo.gitDir)) is found only "
                    + "through GIT_DIR or core.worktree, which git sprite does not follow",
                hints: [
                    "make a worktree of it and run git sprite there: "
                        + "git --git-dir=\(shellQuote(repo.gitDir)) worktree add ../work <branch>"
                ],
                status: .notARepository)
        }
        return repo
    }

    /// A linked repository: `path` must be the top of a non-bare repository.
    public static func linked(at path: String, mount: String, _ context: Context) throws -> Repository {
        let repo: Repository
        do {
            repo = try Repository.open(
                at: path, trustedDirectories: trusted(context),
                configFiles: ConfigFiles(environment: context.environment))
        } catch {
            throw translate(error, path: path, linked: true, mount: mount)
        }
        if repo.isBare || repo.workdir == nil {
            throw SpriteError(
                "linked repo '\(mount)' at \(path) is a bare repository",
                hints: ["link a worktree instead: git sprite unlink \(mount) && git sprite link <worktree>"])
        }
        return repo
    }

    /// `safe.directory` values given with `git -c`, which libgit2 1.5 cannot see.
    static func trusted(_ context: Context) -> [String] {
        GitConfigParameters.parse(environment: context.environment)
            .filter { $0.name == "safe.directory" }.compactMap(\.value)
    }

    static func translate(_ error: Error, path: String, linked: Bool, mount: String = "") -> SpriteError {
        switch error {
        case RepositoryOpenError.notFound:
            if linked {
                return SpriteError(
                    "linked repo '\(mount)' at \(path) is not a git repository",
                    hints: ["fix the path: git sprite unlink \(mount) && git sprite link <path>"])
            }
            if let (file, target) = brokenGitFile(above: path) {
                return SpriteError(
                    "\(file) points to \(target), which is not a git directory",
                    hints: [
                        "a moved or deleted worktree or submodule? repair it with: git worktree repair, "
                            + "or fix the gitdir: line in \(file)"
                    ],
                    status: .notARepository)
            }
            return SpriteError(
                "not a git repository (or any of the parent directories): \(path)",
                hints: ["run git sprite inside a work tree, or point git at one: git -C <path> sprite …"],
                status: .notARepository)
        case RepositoryOpenError.notOwned(let owned):
            return SpriteError(
                "the repository at \(owned) is owned by another user",
                hints: [
                    "if you trust it, mark it safe: git config --global --add safe.directory "
                        + shellQuote(owned)
                ],
                status: linked ? .failure : .notARepository)
        case RepositoryOpenError.failed(let git):
            return SpriteError(
                "cannot open the repository at \(path): \(git.message)",
                hints: ["see what git makes of it: git -C \(shellQuote(path)) status"],
                status: linked ? .failure : .notARepository, detail: git.description)
        default:
            return SpriteError(
                "cannot open the repository at \(path)",
                hints: ["see what git makes of it: git -C \(shellQuote(path)) status"], detail: "\(error)")
        }
    }

    /// The first `.git` file at or above `path` whose `gitdir:` names no directory: what git
    /// finds first, and why it found no repository.
    static func brokenGitFile(above path: String) -> (file: String, target: String)? {
        var dir = path
        while true {
            let file = (dir == "/" ? "" : dir) + "/.git"
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDir) {
                guard !isDir.boolValue, let text = try? String(contentsOfFile: file, encoding: .utf8),
                    text.hasPrefix("gitdir: ")
                else { return nil }
                var target = text.dropFirst("gitdir: ".count).trimmingCharacters(in: .newlines)
                if !target.hasPrefix("/") { target = dir + "/" + target }
                return FileManager.default.fileExists(atPath: target, isDirectory: &isDir) && isDir.boolValue
                    ? nil : (file, target)
            }
            if dir == "/" || dir.isEmpty { return nil }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }
}
