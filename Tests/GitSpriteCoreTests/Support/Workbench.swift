import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// A temporary world for an in-process test of a use case: repositories made with `git`, an
/// in-memory Sprites API (`FakeSprites`), captured stdout and stderr, and a clock that does not
/// wait. Nothing of ours is started as a process.
final class Workbench {
    let root: String
    let fake: FakeSprites
    let stdout = Locked(Data())
    let stderr = Locked(Data())
    var environment: [String: String]

    init() throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/git-sprite-bench.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = String(cString: made)
        fake = FakeSprites(root: root + "/sprites")
        environment = [
            "PATH": "/usr/bin:/bin", "HOME": root + "/home", "GIT_CONFIG_NOSYSTEM": "1", "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": root + "/home/.config", "XDG_STATE_HOME": root + "/home/.local/state",
            "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
        ]
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)
        try Sandbox.gitConfig.write(toFile: root + "/home/.gitconfig", atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// A context for a use case run in `directory`, connected to the fake (or to `connection`).
    func context(in directory: String, connection: Connection? = nil) -> Context {
        let (out, err) = (stdout, stderr)
        let terminal = Terminal(
            environment: environment,
            stdout: OutputSink(write: { data in out.withLock { $0.append(data) } }),
            stderr: OutputSink(write: { data in err.withLock { $0.append(data) } }))
        let connection = connection ?? fake.connection()
        return Context(
            environment: environment, currentDirectory: directory, terminal: terminal, quiet: true,
            connect: { _, _ in connection },
            clock: Clock(now: { Date() }, sleep: { _ in }))
    }

    var errors: String { String(decoding: stderr.value, as: UTF8.self) }

    /// Runs git (a test fixture step) and returns its trimmed stdout; a failure fails the test.
    @discardableResult
    func git(_ args: String..., in dir: String) throws -> String {
        let p = Process()
        p.setProgram("git", args, path: environment["PATH"])
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = environment
        let out = Pipe(), err = Pipe()
        (p.standardOutput, p.standardError) = (out, err)
        let exited = p.exitSignal()
        try p.runWithSignalsUnblocked()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        exited.wait()
        if p.terminationStatus != 0 {
            Issue.record("git \(args.joined(separator: " ")): \(String(decoding: errData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func write(_ relative: String, _ text: String, in dir: String) throws {
        let full = dir + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func commit(_ file: String, _ text: String, in dir: String) throws {
        try write(file, text, in: dir)
        try git("add", "-A", in: dir)
        try git("commit", "-q", "-m", "change \(file)", in: dir)
    }

    /// A repository with one commit on main, and no remote.
    func repo(_ name: String = "app") throws -> String {
        let dir = path(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try git("init", "-q", in: dir)
        try commit("README", "hello\n", in: dir)
        return dir
    }

    /// A shell command in the fake sprite's home; its trimmed stdout.
    func inSprite(_ sprite: String, _ script: String) throws -> String {
        let r = try fake.run(
            sprite, ["sh", "-c", script], directory: SpritePaths.home, input: nil, environment: environment)
        return String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
