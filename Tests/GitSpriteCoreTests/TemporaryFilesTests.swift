import Foundation
import Testing

@testable import GitSpriteCore

/// Files git-sprite writes itself (a patch of the sprite's changes, a salvage bundle): readable
/// by us alone from the first byte, written in place with no hidden copy beside them, and
/// never through a symlink someone left at the path.
@Suite("files git-sprite writes")
struct TemporaryFilesTests {
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.path + "/git-sprite-files-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    @Test func aNewFileIsOursAloneAndWrittenInPlace() throws {
        let path = dir + "/patch"
        #expect(TemporaryFiles.writePrivately(Data("secret".utf8), to: path))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "secret")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // nothing else was made beside it (Foundation's createFile leaves a `.dat.nosync…` copy
        // there when interrupted)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["patch"])
        // a path that is taken is refused unless replacing is asked for
        #expect(!TemporaryFiles.writePrivately(Data("other".utf8), to: path))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "secret")
        #expect(TemporaryFiles.writePrivately(Data("new".utf8), to: path, replacing: true))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
    }

    /// A symlink at the path (left by someone who can write the directory) is never followed:
    /// without replacing the write fails, with it the link itself is replaced.
    @Test func aSymlinkAtThePathIsNeverFollowed() throws {
        let victim = dir + "/victim"
        try "untouched".write(toFile: victim, atomically: false, encoding: .utf8)
        let path = dir + "/bundle"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: victim)
        #expect(!TemporaryFiles.writePrivately(Data("payload".utf8), to: path))
        #expect(TemporaryFiles.writePrivately(Data("payload".utf8), to: path, replacing: true))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "payload")
    }

    /// A name as long as a name may be (255 bytes, here of two-byte characters) still gets one
    /// beside it that a filesystem takes: the suffix ran past the limit, and `cp` of such a
    /// file failed (a third adversarial review).
    @Test func aNameBesideALongOneStaysWithinTheLimit() throws {
        let long = String(repeating: "é", count: 127) + "x"  // 255 bytes
        let beside = TemporaryFiles.beside(dir + "/" + long)
        let name = String(beside.split(separator: "/").last ?? "")
        #expect(name.utf8.count <= 255)
        #expect(beside.hasPrefix(dir + "/é"))
        #expect(name.contains(".git-sprite-"))
        #expect(TemporaryFiles.writePrivately(Data("x".utf8), to: beside, replacing: false), "\(errno)")
        #expect(TemporaryFiles.beside(dir + "/short").hasPrefix(dir + "/short.git-sprite-"))
    }
}
