import ArgumentParser
import Foundation
import GitSpriteCore

struct Prune: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete this repository's sprites that git says are done with, bringing their work home first.",
        discussion: """
            Selects this repository's sprites whose branch is merged into BRANCH (default: the \
            remote's default branch; merges, rebase-merges and squash-merges alike: merging the \
            branch, and the sprite's copy of it, would change nothing), whose branch was deleted \
            or whose upstream is gone, which expired (up --ttl), which are older than a duration, \
            or whose agent has been idle longer than one. Each is brought home exactly as \
            git sprite down --destroy does, and skipped with the reason when that would lose \
            work, unless --force (which saves it in a bundle first). It prints what it will \
            delete, why, and the storage per week deleting saves; then deletes on --yes, or \
            after a confirmation on a terminal. Without a terminal and without --yes it only \
            prints. --dry-run deletes nothing; with --merged it still fetches each sprite's work \
            into its sprite/ refs, as git sprite fetch does, to judge it as a real run would.

            Examples:
              git sprite prune --merged --gone --dry-run
              git sprite prune --merged main --yes
              git sprite prune --older-than 2w --idle 3d
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Sprites whose branch is merged (into BRANCH, default the remote's default branch).")
    var merged = false

    @Argument(help: "With --merged: the branch to compare with.")
    var branch: String?

    @Flag(help: "Sprites whose branch was deleted, or whose upstream is gone.")
    var gone = false

    @Flag(help: "Sprites whose time to live (up --ttl) has passed.")
    var expired = false

    @Option(help: "Sprites created longer ago than this (2w, 30d).")
    var olderThan: String?

    @Option(help: "Sprites idle longer than this (3d, 12h).")
    var idle: String?

    @Flag(help: "Delete nothing; show what would be deleted (--merged still fetches the sprites' work).")
    var dryRun = false

    @Flag(help: "Delete without asking.")
    var yes = false

    @Flag(help: "Delete even sprites holding work that is not home (saved in a bundle first).")
    var force = false

    @Flag(help: "Print one JSON document.")
    var json = false

    func validate() throws {
        if branch != nil && !merged {
            throw ValidationError("a branch goes with --merged: git sprite prune --merged BRANCH")
        }
    }

    func run(_ context: Context) throws {
        var options = PruneWorkflow.Options()
        (options.merged, options.mergedInto, options.gone, options.expired) = (merged, branch, gone, expired)
        options.olderThan = try olderThan.map { try DurationText.parse($0, flag: "--older-than") }
        options.idle = try idle.map { try DurationText.parse($0, flag: "--idle") }
        (options.dryRun, options.yes, options.force) = (dryRun, yes, force)
        let terminal = context.terminal
        let result = try PruneWorkflow.run(context, options: options) { candidates in
            if !json { terminal.out(Self.table(candidates)) }
            if yes { return true }
            guard terminal.stdoutIsTTY, isatty(STDIN_FILENO) == 1 else {
                terminal.note("nothing deleted: pass --yes to delete (or run it on a terminal to be asked)")
                return false
            }
            terminal.err(
                Data(
                    "delete \(candidates.count == 1 ? "this sprite" : "these \(candidates.count) sprites")? [y/N] ".utf8
                ))
            terminal.flush()
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return answer == "y" || answer == "yes"
        }
        if json {
            terminal.out(try JSONOutput.encode(result.output))
        } else if result.candidates.isEmpty {
            terminal.note("nothing to prune")
        } else if dryRun {
            terminal.out(Self.table(result.candidates))
            terminal.note("dry run: nothing was deleted")
        }
        for c in result.candidates {
            if let outcome = c.outcome { terminal.note("\(c.sprite): \(outcome)") }
        }
        if result.candidates.contains(where: { $0.outcome?.hasPrefix("skipped") == true }) && !context.quiet {
            terminal.note(
                "skipped sprites hold work that is not home; bring it home (git sprite fetch, git sprite apply) "
                    + "or delete them anyway with --force")
        }
    }

    static func table(_ candidates: [PruneWorkflow.Candidate]) -> String {
        var out = TextTable.render(
            [["SPRITE", "BRANCH", "WHY", "SAVES/WEEK"]]
                + candidates.map {
                    [$0.sprite, $0.branch ?? "-", $0.reasons.joined(separator: "; "), Money.dollars($0.weeklyStorage)]
                })
        let total = candidates.reduce(Decimal(0)) { $0 + $1.weeklyStorage }
        out += "deleting \(candidates.count == 1 ? "it" : "them") saves \(Money.dollars(total)) of storage per week\n"
        return out
    }
}
