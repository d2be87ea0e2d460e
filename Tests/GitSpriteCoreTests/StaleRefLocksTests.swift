import Foundation
import TestSupport
import Testing

@testable import GitSpriteCore

/// Which locks `fetch` removes before it writes the sprite's refs (`StaleRefLocks`): only a
/// ref's own lock file, only when older than a minute, and never a path a sprite's ref name
/// could point elsewhere with.
@Suite("stale ref locks")
struct StaleRefLocksTests {
    @Test func onlyAnOldLockOfTheRefItselfGoes() throws {
        let s = try Sandbox()
        let dir = s.path("git")
        let old = Date().addingTimeInterval(-120)
        func lock(_ path: String, age: Date = Date().addingTimeInterval(-120), directory: Bool = false) throws {
            let full = dir + "/" + path
            try FileManager.default.createDirectory(
                atPath: directory ? full : (full as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            if !directory { #expect(FileManager.default.createFile(atPath: full, contents: Data())) }
            try FileManager.default.setAttributes([.modificationDate: age], ofItemAtPath: full)
        }
        try lock("refs/sprite/a/head.lock")
        try lock("refs/sprite/a/fresh.lock", age: Date())
        try lock("refs/sprite/a/dir.lock", directory: true)
        try lock("outside.lock")
        try lock("refs/../outside2.lock")
        let removed = StaleRefLocks.remove(
            [
                "refs/sprite/a/head", "refs/sprite/a/fresh", "refs/sprite/a/dir", "refs/sprite/a/missing",
                "refs/../outside", "refs/../outside2", "../outside", "refs//x", "/refs/sprite/a/head",
            ], commonDir: dir, now: old.addingTimeInterval(120))
        #expect(removed == ["refs/sprite/a/head"])
        for kept in ["refs/sprite/a/fresh.lock", "refs/sprite/a/dir.lock", "outside.lock", "outside2.lock"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + kept), "\(kept)")
        }
    }
}
