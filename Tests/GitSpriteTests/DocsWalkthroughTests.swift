import Foundation
import TestSupport
import Testing

/// docs/a-day-with-git-sprite.md, run step by step: every `sh` block, in order, in one shell,
/// against the local sprite-host `--local` starts.
@Suite("the walkthrough in docs/", .ownThread)
struct DocsWalkthroughTests {
    /// The `sh` blocks of a Markdown file.
    static func blocks(_ markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```sh" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    @Test(.longRunning) func aDayWithGitSpriteRunsAsWritten() throws {
        let doc = try String(contentsOfFile: DocsTests.repoRoot + "/docs/a-day-with-git-sprite.md", encoding: .utf8)
        let blocks = Self.blocks(doc)
        #expect(blocks.count >= 8)
        let s = try Sandbox()
        let state = s.environment["XDG_STATE_HOME"]! + "/git-sprite"
        defer {
            if let pid = (try? String(contentsOfFile: state + "/local-host.pid", encoding: .utf8))
                .flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            {
                kill(pid, SIGTERM)
            }
        }
        // each step says where it starts, and the first failing command stops the run
        let script =
            "set -e\n"
            + blocks.enumerated().map { "echo '### step \($0.offset + 1)' >&2\n\($0.element)" }
            .joined(separator: "\n")
        let r = try s.run("bash", ["-c", script], in: s.root, limit: 300)
        let lastStep = r.stderr.components(separatedBy: "### step ").last?.prefix(3) ?? ""
        #expect(r.status == 0, "step \(lastStep) failed: \(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("wait exited with 10"), "\(r.stdout)")
        #expect(r.stdout.contains("app-main: waiting for input"), "\(r.stdout)")
        #expect(r.stdout.contains("README.md | 1 +") && r.stdout.contains("NOTES.md"), "\(r.stdout)")
        #expect(r.stdout.contains("agent: say hello"), "\(r.stdout)")
        #expect(r.stdout.contains("?? NOTES.md"), "apply brought the new file: \(r.stdout)")
        // (checkpoint --list off a terminal: id, created, commit, uncommitted, subject, comment)
        #expect(r.stdout.contains("\tuncommitted\tagent: say hello\thello merged\n"), "\(r.stdout)")
        // reach what it runs: the forward, the URL made public, the copy back, a terminal
        #expect(r.stdout.components(separatedBy: "notes from the agent").count >= 4, "\(r.stdout)")
        #expect(r.stdout.contains("forwarding localhost:") && r.stdout.contains("-> sprite:8080"), "\(r.stdout)")
        #expect(r.stdout.contains("http://app-main.localhost:"), "\(r.stdout)")
        #expect(r.stdout.contains("on a terminal in the sprite"), "\(r.stdout)")
        #expect(r.stderr.contains("destroyed app-main"), "\(r.stderr)")
        #expect(r.stderr.contains("stopped the local sprite-host"), "\(r.stderr)")
        let app = s.path("app")
        #expect(try s.git("log", "--format=%s", in: app) == "notes from the agent\nagent: say hello\nfirst commit")
    }
}
