import Foundation
import TestSupport
import Testing

@Suite("git sprite link / unlink, in-process", .offThePool)
struct LinkTests {
    @Test func linkStoresRelativeInsideAndAbsoluteOutsideTheWorkTree() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let inner = app + "/vendor/tool"
        try s.git("init", "-q", inner)
        let outside = try s.makeRepo("Other Repo!")
        #expect(try s.spriteInProcess(["link", "vendor/tool"], in: app).status == 0)
        let r = try s.spriteInProcess(["link", outside], in: app)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("linked \(outside) as 'other-repo'"))
        #expect(try s.git("config", "sprite.link.tool.path", in: app) == "vendor/tool")
        #expect(try s.git("config", "sprite.link.other-repo.path", in: app) == outside)
        let list = try s.spriteInProcess(["link"], in: app)
        #expect(list.stdout == "other-repo\t\(outside)\ntool\t\(inner)\n")
        let json = try JSONSerialization.jsonObject(
            with: Data(try s.spriteInProcess(["link", "--json"], in: app).stdout.utf8))
        #expect((json as? [[String: Any]])?.first?["spritePath"] as? String == "/home/sprite/repos/other-repo")
    }

    @Test func unlinkRemovesAndUnknownMountsAreErrors() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        _ = try s.makeRepo("tools")
        #expect(try s.spriteInProcess(["link", "../tools", "--as", "t"], in: app).status == 0)
        let bad = try s.spriteInProcess(["unlink", "nope"], in: app)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("error: no linked repo is mounted as 'nope'"))
        #expect(bad.stderr.contains("hint: linked mounts: t"))
        #expect(try s.spriteInProcess(["unlink", "t"], in: app).status == 0)
        #expect(try s.spriteInProcess(["link"], in: app).stdout.isEmpty)
        #expect(try s.run("git", ["config", "sprite.link.t.path"], in: app).status == 1)
    }

    @Test func missingPathsAndNonRepositoriesAreRefused() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let missing = try s.spriteInProcess(["link", "../does-not-exist"], in: app)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: cannot link ../does-not-exist: no such directory"))
        try FileManager.default.createDirectory(atPath: s.path("plain"), withIntermediateDirectories: true)
        let plain = try s.spriteInProcess(["link", "../plain"], in: app)
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("is not a git repository"))
        #expect(plain.stderr.contains("hint: "))
        #expect(try s.spriteInProcess(["link"], in: app).stdout.isEmpty)  // nothing half-done
    }

    @Test func twoLinksWithTheSameMountNameAreAClash() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let a = try s.makeRepo("a/tools")
        let b = try s.makeRepo("b/tools")
        #expect(try s.spriteInProcess(["link", a], in: app).status == 0)
        let clash = try s.spriteInProcess(["link", b], in: app)
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("mount name 'tools' is already used by \(a) (wanted for \(b))"))
        #expect(clash.stderr.contains("hint: choose another name: git sprite link \(b) --as <mount>"))
        #expect(try s.spriteInProcess(["link", b, "--as", "tools-b"], in: app).status == 0)
        // the same repo again under its own name is a no-op; under another name an error
        #expect(try s.spriteInProcess(["link", a], in: app).status == 0)
        #expect(try s.spriteInProcess(["link", a, "--as", "again"], in: app).status == 1)
        let bad = try s.spriteInProcess(["link", a, "--as", "Bad/Name"], in: app)
        #expect(bad.status == 64)
    }

    @Test func aLinkedRepoThatDisappearsMakesPlanFailClearly() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let tools = try s.makeRepo("tools")
        #expect(try s.spriteInProcess(["link", tools], in: app).status == 0)
        try FileManager.default.removeItem(atPath: tools + "/.git")
        let r = try s.spriteInProcess(["plan"], in: app)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: linked repo 'tools' at \(tools) is not a git repository"))
        #expect(r.stderr.contains("hint: fix the path: git sprite unlink tools"))
    }
}
