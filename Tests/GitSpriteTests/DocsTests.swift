import Foundation
import TestSupport
import Testing

/// Help, man page and completions are checked against the command definitions, so a flag
/// cannot change without its documentation changing.
@Suite("help, man page and completions", .ownThread)
struct DocsTests {
    static let repoRoot = SourceTree.root

    /// Subcommands and their long flags, from swift-argument-parser's own description.
    static func commands() throws -> [String: [String]] {
        let s = try Sandbox()
        return try HelpDump.commands(
            fromDump: s.run(Sandbox.binDirectory + "/git-sprite", ["--experimental-dump-help"]).stdout)
    }

    @Test func theHostManPageDocumentsEveryFlag() throws {
        let man = try SourceTree.read("man/man1/sprite-host.1")
        let s = try Sandbox()
        let r = try s.run(Sandbox.binDirectory + "/sprite-host", ["serve", "--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let args = ((root["command"] as? [String: Any])?["arguments"] as? [[String: Any]]) ?? []
        let flags = args.flatMap { ($0["names"] as? [[String: Any]]) ?? [] }
            .filter { $0["kind"] as? String == "long" }.compactMap { $0["name"] as? String }
            .filter { $0 != "help" && $0 != "version" }
        #expect(flags.count >= 6)
        for flag in flags {
            #expect(man.contains("\\-\\-" + flag.replacingOccurrences(of: "-", with: "\\-")), "lacks --\(flag)")
        }
    }

    @Test func bashCompletionWorksThroughGitsOwnCompletion() throws {
        let gitCompletion = "/usr/share/bash-completion/completions/git"
        guard FileManager.default.fileExists(atPath: gitCompletion) else { return }
        let s = try Sandbox()
        let script = """
            source \(gitCompletion)
            source \(Self.repoRoot)/completions/git-sprite.bash
            COMP_WORDS=(git sprite pl); COMP_CWORD=2; COMP_LINE="git sprite pl"; COMP_POINT=${#COMP_LINE}
            __git_wrap__git_main; printf '%s\\n' "${COMPREPLY[@]}"
            COMP_WORDS=(git sprite link --); COMP_CWORD=3; COMP_LINE="git sprite link --"; COMP_POINT=${#COMP_LINE}
            __git_wrap__git_main; printf '%s\\n' "${COMPREPLY[@]}"
            """
        let r = try s.run("bash", ["-c", script])
        #expect(r.stdout.contains("plan "))
        #expect(r.stdout.contains("--as="))
    }

    /// An example is a line to copy: at 80 columns none may wrap onto a line of its own.
    @Test func noExampleWrapsAtEightyColumns() throws {
        let s = try Sandbox()
        for command in try [""] + Self.commands().keys.sorted() {
            let args = command.isEmpty ? ["-h"] : [command, "-h"]
            let help = try s.run(Sandbox.binDirectory + "/git-sprite", args, env: ["COLUMNS": "80"]).stdout
            var inExamples = false
            for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasSuffix("Examples:") {
                    inExamples = true
                } else if line.isEmpty {
                    inExamples = false
                } else if inExamples {
                    #expect(line.hasPrefix("  "), "git sprite \(command) -h: an example wrapped: \(line)")
                }
            }
        }
    }

    @Test func dashHReachesTheBinaryAndDashDashHelpOpensTheManPage() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let h = try s.sprite(["-h"], in: repo)
        #expect(h.status == 0)
        #expect(h.stdout.contains("USAGE: git sprite <subcommand>"))
        #expect(h.stdout.contains("plan"))
        let sub = try s.sprite(["plan", "-h"], in: repo)
        #expect(sub.stdout.contains("--json"))
        let version = try s.sprite(["--version"], in: repo)
        #expect(
            version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).range(
                of: "^[0-9]+\\.[0-9]+\\.[0-9]+$", options: .regularExpression) != nil)
        let man = try s.sprite(
            ["--help"], in: repo,
            env: [
                "MANPATH": Self.repoRoot + "/man", "MANPAGER": "cat", "PAGER": "cat",
                "MANWIDTH": "100",
            ])
        #expect(man.status == 0, "\(man.stderr)")
        #expect(man.stdout.contains("give every git branch its own cloud sandbox"))
    }
}
