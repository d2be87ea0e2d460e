import Foundation
import GitSpriteCore
import TestSupport
import Testing

/// `scripts/release-flags.sh`, which every release build takes its flags from: packed relative
/// relocations (DT_RELR, 3 MB less resident memory) only where the C library can start such an
/// executable, so a build on an older system still runs there.
@Suite("release build flags", .offThePool)
struct ReleaseFlagsTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/release-flags.sh").path

    /// The script's answer with `getconf` reporting `glibc`.
    static func flags(glibc: String) throws -> String {
        let bin = FileManager.default.temporaryDirectory.appendingPathComponent("flags-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        try "#!/bin/sh\necho 'glibc \(glibc)'\n".write(toFile: bin + "/getconf", atomically: true, encoding: .utf8)
        chmod(bin + "/getconf", 0o755)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script]
        p.environment = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        let out = Pipe()
        p.standardOutput = out
        let exited = p.exitSignal()
        try p.runWithSignalsUnblocked()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        exited.wait()
        #expect(p.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var toolchainHasLLD: Bool {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { $0 + "/swift" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let swift = path else { return false }
        let real = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent()
        return FileManager.default.isExecutableFile(atPath: real.appendingPathComponent("ld.lld").path)
    }

    /// What every release build has, whatever the C library.
    static let always =
        "-c release --static-swift-stdlib --disable-local-rpath "
        + "-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors"

    @Test func relocationsArePackedOnlyWhereTheCLibraryReadsThem() throws {
        for old in ["2.35", "2.17"] {
            #expect(try Self.flags(glibc: old) == Self.always, "glibc \(old)")
        }
        try #require(Self.toolchainHasLLD, "this toolchain has no ld.lld")
        for new in ["2.36", "2.41", "3.0"] {
            let flags = try Self.flags(glibc: new)
            #expect(flags.hasPrefix(Self.always), "glibc \(new)")
            #expect(flags.contains("-use-ld=lld") && flags.contains("pack-relative-relocs"), "glibc \(new): \(flags)")
        }
    }
}
