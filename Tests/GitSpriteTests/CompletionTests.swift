import Foundation
import TestSupport
import Testing

/// The completions in the shells people use, each run for real (Debian's bash, zsh and fish
/// with git's own completion), reading the candidates the shell offers.
@Suite("completions in real shells", .ownThread)
struct CompletionTests {
    /// A repository with two branches that have sprites (the mapping `up` records) and one
    /// that has none, plus a file that must not be offered.
    static func repository() throws -> (Sandbox, String) {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        try s.git("branch", "topic", in: repo)
        try s.git("branch", "no-sprite", in: repo)
        try s.git("config", "branch.main.sprite", "app-main", in: repo)
        try s.git("config", "branch.topic.sprite", "app-topic", in: repo)
        try s.write("stray-file", "x", in: repo)
        return (s, repo)
    }

    static var completions: String { DocsTests.repoRoot + "/completions" }

    @Test func bashOffersCommandsFlagsAndBranchesWithSprites() throws {
        let gitCompletion = "/usr/share/bash-completion/completions/git"
        try #require(
            FileManager.default.fileExists(atPath: gitCompletion), "bash-completion's git completion is installed")
        let (s, repo) = try Self.repository()
        func complete(_ words: [String]) throws -> [String] {
            let line = words.joined(separator: " ")
            let array = words.map { "'\($0)'" }.joined(separator: " ")
            let script = """
                source \(gitCompletion)
                source \(Self.completions)/git-sprite.bash
                COMP_WORDS=(\(array)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
                __git_wrap__git_main; printf '%s\\n' "${COMPREPLY[@]}"
                """
            let r = try s.run("bash", ["-c", script], in: repo)
            return r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let commands = try complete(["git", "sprite", ""])
        for c in ["logs", "wait", "fetch", "diff", "log", "apply", "checkpoint", "restore", "up", "down"] {
            #expect(commands.contains(c), "\(c) in \(commands)")
        }
        #expect(try complete(["git", "sprite", "logs", ""]).sorted() == ["main", "topic"])
        #expect(try complete(["git", "sprite", "diff", "t"]) == ["topic"])
        #expect(try complete(["git", "sprite", "down", "--"]).contains("--checkpoint"))
        #expect(try complete(["git", "sprite", "logs", "--"]).contains("--follow"))
        // a branch named to run a command: offered quoted, so entering the line runs nothing
        // (an adversarial review: unquoted, accepting the completion ran the touch)
        let hostile = "a$(touch pwned)"
        try s.git("config", "branch.\(hostile).sprite", "app-a", in: repo)
        let offered = try complete(["git", "sprite", "logs", "a"])
        #expect(offered == [#"a\$\(touch\ pwned\)"#], "\(offered)")
        let entered = try s.run("bash", ["-c", "printf '%s' " + (offered.first ?? "")], in: repo)
        #expect(entered.stdout == hostile && !FileManager.default.fileExists(atPath: repo + "/pwned"))
    }

    @Test func zshOffersCommandsAndBranchesWithSprites() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/zsh"), "zsh is installed")
        let (s, repo) = try Self.repository()
        func complete(_ line: String) throws -> String {
            try s.run("zsh", ["-f", TestDaemon.fixture("zsh_complete.zsh"), Self.completions, repo, line], in: repo)
                .stdout
        }
        let commands = try complete("git sprite ")
        for c in ["logs", "wait", "fetch", "diff", "apply", "checkpoint", "restore"] {
            #expect(commands.contains("\(c) "), "\(c) in \(commands)")
        }
        let branches = try complete("git sprite logs ")
        #expect(branches.contains("main") && branches.contains("topic"), "\(branches)")
        #expect(!branches.contains("no-sprite") && !branches.contains("stray-file"), "\(branches)")
    }

    /// Fish 3.6 never hands `git sprite …` to git-sprite's completions: the file registers
    /// itself for `git` too, as vendor_conf.d loads it.
    @Test func fishCompletesGitSpriteAndNotFileNames() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/fish"), "fish is installed")
        let (s, repo) = try Self.repository()
        func complete(_ line: String) throws -> [String] {
            let r = try s.run(
                "fish",
                [
                    "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
                    Self.completions + "/git-sprite.fish", line,
                ], in: repo)
            return r.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        }
        let commands = try complete("git sprite ")
        for c in ["logs", "wait", "fetch", "diff", "log", "apply", "checkpoint", "restore", "up"] {
            #expect(commands.contains(c), "\(c) in \(commands)")
        }
        #expect(!commands.contains("stray-file"), "file names offered: \(commands)")
        #expect(try complete("git sprite logs ").sorted() == ["main", "topic"])
        #expect(try complete("git -C . sprite attach ").sorted() == ["main", "topic"])
        #expect(try complete("git sprite logs --").contains("--follow"))
        #expect(try complete("git-sprite wa") == ["wait"])
        #expect(try complete("git sprite down --").contains("--keep"))
    }
}
