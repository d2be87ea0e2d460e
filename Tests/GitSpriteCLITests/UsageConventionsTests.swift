import Foundation
import TestSupport
import Testing

/// The conventions of docs/conventions.md that need no host, in-process: usage errors in git's
/// words, help, the keys `config` shows (the rest stay end to end in `ConventionsTests`).
@Suite("conventions every command follows, in-process", .offThePool)
struct UsageConventionsTests {
    @Test func aMistypedCommandGetsTheNearestOneInGitsWords() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let r = try s.spriteInProcess(["stauts"], in: repo)
        #expect(r.status == 64)
        #expect(
            r.stderr == "error: 'stauts' is not a git sprite command\nhint: did you mean 'git sprite status'?\n"
                + "hint: see 'git sprite --help' for the commands\n", "\(r.stderr)")
        let nested = try s.spriteInProcess(["host", "stat"], in: repo)
        #expect(nested.status == 64)
        #expect(
            nested.stderr.hasPrefix("error: 'stat' is not a git sprite host command\nhint: did you mean "),
            "\(nested.stderr)")
        #expect(nested.stderr.contains("'git sprite host status'"), "\(nested.stderr)")
        // nothing near: no guess, still the way to the list
        let far = try s.spriteInProcess(["xyzzy-frobnicate"], in: repo)
        #expect(far.status == 64 && !far.stderr.contains("did you mean"), "\(far.stderr)")
        #expect(far.stderr.contains("hint: see 'git sprite --help'"), "\(far.stderr)")
        // a terminal cannot be painted through the echoed word
        let escape = try s.spriteInProcess(["st\u{1b}[31mx"], in: repo)
        #expect(!escape.stderr.contains("\u{1b}"), "\(escape.stderr)")
        let option = try s.spriteInProcess(["up", "--x\u{1b}[2J"], in: repo)
        #expect(option.status == 64 && !option.stderr.contains("\u{1b}"), "\(option.stderr)")
    }

    /// Every command: a usage error is `error:` and `hint:` lines (never the parser's
    /// `Error:`) with exit 64.
    @Test func everyCommandReportsUsageErrorsTheSameWay() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let commands = try CLIDocs.commands().keys.sorted()
        #expect(commands.count > 20)
        // (diff and log pass options they do not know to git: git's refusal is tested with them)
        for command in commands where command != "diff" && command != "log" {
            let r = try s.spriteInProcess(
                [command, "--no-such-flag"], in: repo,
                env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"])
            #expect(r.status == 64, "\(command): \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: "), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("\nhint: "), "\(command): \(r.stderr)")
            #expect(!r.stderr.contains("Error:") && r.stdout.isEmpty, "\(command): \(r.stderr)")
            Self.expectOneErrorThenHints(r.stderr, "\(command)")
        }
        // the parser's own lines (`Help:`, `usage:`) are hints like the rest
        for args in [["up", "--name"], ["url", "--public", "--private"], ["fetch", "--all", "some-sprite"]] {
            let r = try s.spriteInProcess(
                args, in: repo, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"])
            #expect(r.status == 64, "\(args): \(r.status) \(r.stderr)")
            Self.expectOneErrorThenHints(r.stderr, "\(args)")
        }
        // a negative count is read as one, and refused as such
        let negative = try s.spriteInProcess(
            ["logs", "-n", "-3"], in: repo, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"])
        #expect(negative.stderr.hasPrefix("error: -n takes a number of lines, 0 or more"), "\(negative.stderr)")
        // a value the parser takes but the command refuses, and a bad flag value, are usage errors too
        for args in [
            ["up", "--ttl", "3days"], ["logs", "-n", "-1"], ["wait", "--timeout", "soon"],
            ["attach", "--detach-key", "ctrl-b"],
        ] {
            let r = try s.spriteInProcess(
                args, in: repo, env: ["SPRITES_TOKEN": "t", "SPRITES_API_URL": "http://127.0.0.1:9"])
            #expect(r.status == 64, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains("\nhint: "), "\(args): \(r.stderr)")
        }
        // docs/conventions.md states the table the code follows
        let conventions = try String(contentsOfFile: SourceTree.root + "/docs/conventions.md", encoding: .utf8)
        for row in ["| 0 |", "| 1 |", "| 3 |", "| 4 |", "| 64 |", "| 128 |", "| 130 |"] {
            #expect(conventions.contains(row), "conventions.md lacks \(row)")
        }
    }

    /// One `error:` line, then one `hint:` line or more, and nothing else.
    static func expectOneErrorThenHints(_ stderr: String, _ what: String) {
        let lines = stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("error: ") == true, "\(what): \(stderr)")
        #expect(lines.count >= 2 && lines.dropFirst().allSatisfy { $0.hasPrefix("hint: ") }, "\(what): \(stderr)")
    }

    @Test func configShowsKeysAsGitConfigTakesThem() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let before = try s.spriteInProcess(["config"], in: repo)
        let keys = before.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        #expect(keys.contains("sprite.lifecycle.autoDestroy"), "\(keys)")
        #expect(!keys.contains("lifecycle.auto_destroy"), "\(keys)")
        // each key shown is one git config takes, and it takes effect
        for key in keys where key.hasPrefix("sprite.") && key.contains("autoDestroy") {
            try s.git("config", key, "true", in: repo)
        }
        let after = try s.spriteInProcess(["config"], in: repo)
        #expect(after.stdout.contains("sprite.lifecycle.autoDestroy\ttrue\tgit config --local"), "\(after.stdout)")
    }

    /// docs/conventions.md names exactly the commands that take `--json`, and says why the
    /// others do not.
    @Test func theConventionsNameEveryCommandWithJSON() throws {
        let conventions = try String(contentsOfFile: SourceTree.root + "/docs/conventions.md", encoding: .utf8)
        func named(after marker: String) throws -> Set<String> {
            let start = try #require(conventions.range(of: marker), "conventions.md lacks \(marker)")
            let rest = conventions[start.upperBound...]
            let end = [rest.range(of: "\n- ")?.lowerBound, rest.range(of: "\n\n")?.lowerBound].compactMap { $0 }.min()
            let paragraph = rest[..<(end ?? rest.endIndex)]
            return Set(
                paragraph.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) })
        }
        let with = try named(after: "- `--json`:"), without = try named(after: "Without `--json`:")
        for (command, flags) in try CLIDocs.commands() where command != "host" {
            if flags.contains("json") {
                #expect(with.contains(command), "\(command) takes --json, but conventions.md does not list it")
            } else {
                #expect(without.contains(command), "\(command) has no --json, and conventions.md does not say why")
            }
        }
    }

    /// A command's help lists what it takes: no `--version` under each command (it is the
    /// root's), arguments by what they are.
    @Test func helpListsOnlyWhatACommandTakes() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        for command in try CLIDocs.commands().keys.sorted() {
            let help = try s.spriteInProcess([command, "-h"], in: repo)
            #expect(
                help.status == 0 && help.stdout.contains("USAGE: git sprite \(command)"), "\(command): \(help.stderr)")
            #expect(
                !help.stdout.contains("--version") && !help.stdout.contains("<words>"), "\(command): \(help.stdout)")
        }
        let restore = try s.spriteInProcess(["restore", "-h"], in: repo).stdout
        #expect(restore.contains("[<branch|sprite|id>] [<id>]"), "\(restore)")
        #expect(try s.spriteInProcess(["up", "--version"], in: repo).status == 64)
        let version = try s.spriteInProcess(["--version"], in: repo)
        #expect(version.status == 0 && version.stdout.split(separator: ".").count == 3, "\(version.stdout)")
    }

    /// `git sprite help <command>` (swift-argument-parser's own help command, which ends by
    /// throwing) prints that command's help on stdout and succeeds, nested commands included.
    @Test func theHelpCommandPrintsEachCommandsHelpOnStdout() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        for (args, overview) in [
            (["help", "plan"], "OVERVIEW: Show what 'git sprite up' would do"),
            (["help", "host", "status"], "OVERVIEW: Say whether the local sprite-host runs."),
        ] {
            let r = try s.spriteInProcess(args, in: repo)
            #expect(r.status == 0 && r.stderr.isEmpty, "\(args): \(r.stderr)")
            #expect(r.stdout.hasPrefix(overview), "\(args): \(r.stdout.prefix(200))")
        }
        // a word that names no command is a usage error, with the nearest command, not the
        // root's help
        let typo = try s.spriteInProcess(["help", "stauts"], in: repo)
        #expect(typo.status == 64 && typo.stdout.isEmpty, "\(typo.stdout.prefix(200))")
        #expect(
            typo.stderr == "error: 'stauts' is not a git sprite command\nhint: did you mean 'git sprite status'?\n"
                + "hint: see 'git sprite --help' for the commands\n", "\(typo.stderr)")
        let nested = try s.spriteInProcess(["help", "host", "stat"], in: repo)
        #expect(nested.status == 64 && nested.stderr.contains("'git sprite host status'"), "\(nested.stderr)")
    }
}

/// The commands and their long flags as the parser describes them (`--experimental-dump-help`),
/// asked in-process.
enum CLIDocs {
    static func commands() throws -> [String: [String]] {
        try HelpDump.commands(fromDump: Sandbox().spriteInProcess(["--experimental-dump-help"]).stdout)
    }
}
