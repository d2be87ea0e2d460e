import Foundation
import GitSpriteCore
import TestSupport

/// A helper server a test starts beside sprite-host (a TLS front, a proxy, `git daemon`):
/// started with no signal blocked, killed when released. `firstLine` is the first line it
/// printed (the helpers here print their port), or "" when not asked to wait for one.
final class TestDaemon {
    let firstLine: String
    private let process: Process

    init(_ argv: [String], environment: [String: String]? = nil, waitForFirstLine: Bool = true) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let environment { p.environment = environment }
        let out = Pipe()
        p.standardOutput = waitForFirstLine ? out : FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        process = p
        firstLine = waitForFirstLine ? Self.firstLine(of: out) : ""
    }

    /// The first line written to `pipe` (waits for it), trimmed; "" if it closes first.
    static func firstLine(of pipe: Pipe) -> String {
        var line = Data()
        while !line.contains(0x0a) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        // the whole group: `git daemon` runs git-daemon as a child of git, not in its place
        // (Foundation started the helper as the leader of a group of its own)
        kill(-process.processIdentifier, SIGKILL)
    }

    /// A test fixture's path (Tests/GitSpriteTests/Fixtures).
    static func fixture(_ name: String) -> String {
        DocsTests.repoRoot + "/Tests/GitSpriteTests/Fixtures/" + name
    }
}
