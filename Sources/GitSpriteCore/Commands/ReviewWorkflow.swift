import Foundation
import SpriteGit

/// `git sprite diff` and `git sprite log`: what the agent did since `up` last shipped, as git
/// shows it. Both fetch first (the sprite's commits and a commit of its uncommitted changes,
/// `Homecoming`), then compare, in each repository of the plan, what `up` shipped
/// (`refs/sprite/<sprite>/shipped`) with the sprite's work tree (`…/worktree`) or list the
/// commits on its HEAD (`…/head`) that were not shipped. With linked repos, one section each.
public enum ReviewWorkflow {
    /// What to show; `options` are git's own (`--word-diff`, `-n 3`, `--format=%s`), given by
    /// the user and passed on before the revisions, `paths` after `--`.
    public enum Kind: Sendable {
        case diff(options: [String], paths: [String])
        case log(options: [String], paths: [String])
    }

    public static func run(_ context: Context, sprite argument: String?, kind: Kind) throws {
        let work = try SpriteWork(context, sprite: argument, command: kindName(kind))
        let report = try work.fetch()
        for risk in report.atRisk where report.failures > 0 { context.terminal.warn(risk) }
        // colours as git would give them on this terminal (NO_COLOR, CLICOLOR, TERM=dumb honoured)
        let color = Terminal.colorAllowed(context.environment, tty: context.terminal.stdoutIsTTY)
        var text = ""
        var missing: [String] = []
        let several = work.repositories.count > 1
        for repo in work.repositories {
            let name = work.name
            let shipped = Homecoming.shippedRef(name)
            let end = {
                if case .diff = kind { return Homecoming.worktreeRef(name) } else { return Homecoming.headRef(name) }
            }()
            guard SpriteWork.resolve(shipped, in: repo.localPath) != nil else {
                missing.append(repo.label)
                continue
            }
            guard SpriteWork.resolve(end, in: repo.localPath) != nil else {
                context.terminal.note("note: \(repo.label) is not in the sprite yet")
                continue
            }
            var args = ["-c", "color.ui=" + (color ? "always" : "never")]
            let given: [String]
            switch kind {
            // (full ref names, so nothing the user passes can change what the revisions mean)
            case .diff(let options, let paths):
                given = options
                args += ["diff", "--no-ext-diff"] + options + [shipped, end, "--"] + (repo.mount == nil ? paths : [])
            case .log(let options, let paths):
                given = options
                args += ["log"] + options + [end, "--not", shipped, "--"] + (repo.mount == nil ? paths : [])
            }
            // the primary repository runs where the user is, so paths read as they typed them
            let directory = repo.mount == nil ? context.currentDirectory : repo.localPath
            let r = try LocalGit(directory: directory, environment: context.environment).run(args, trimming: false)
            guard r.status == 0 else {
                // an option git does not know: diff between two commits prints only its usage
                // text (whose last line was shown), diff exits 255 for it, log 128, others 129
                let usageText = r.stderr.hasPrefix("usage:")
                let reason =
                    usageText
                    ? "an option it does not take, among \(given.map(shellQuote).joined(separator: " "))"
                    : LocalGit.reason(r.stderr)
                let usage =
                    usageText || r.status == 129
                    || ["unrecognized argument", "invalid option", "unknown option", "unknown switch"].contains {
                        reason.contains($0)
                    }
                let name = kindName(kind)
                throw SpriteError(
                    "git \(name) in \(repo.label) failed: \(reason)",
                    hints: usage
                        ? ["the options after git sprite \(name) are git \(name)'s own: git \(name) -h lists them"]
                        : [],
                    status: usage ? .usage : .failure)
            }
            let output = r.stdout.hasSuffix("\n") ? String(r.stdout.dropLast()) : r.stdout
            if several && !output.isEmpty {
                text += (text.isEmpty ? "" : "\n") + "# \(repo.label) (\(repo.spritePath))\n"
            }
            if !output.isEmpty { text += output + "\n" }
        }
        if missing.count == work.repositories.count {
            throw SpriteError(
                "nothing is recorded as shipped to \(work.name) from here",
                hints: ["git sprite up records what it ships; run it once, then git sprite \(kindName(kind))"])
        }
        for label in missing {
            context.terminal.note("note: nothing is recorded as shipped from \(label); run git sprite up")
        }
        Pager.show(text, context: context, repository: work.repository.workdir ?? context.currentDirectory)
    }

    static func kindName(_ kind: Kind) -> String {
        if case .diff = kind { return "diff" } else { return "log" }
    }
}
