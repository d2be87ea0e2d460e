import Foundation
import GitSpriteCore
import SpritesAPI
import TestSupport
import Testing

/// Who runs a test's sprite-host: root (as the README sets it up), or an ordinary user.
enum HostUser: String, CustomTestStringConvertible, CaseIterable, Sendable {
    case root
    case unprivileged

    /// The uid an unprivileged host runs as (no account, no groups).
    static let unprivilegedUID: UInt32 = 1_400_000_000

    var testDescription: String { rawValue }
}

/// A `sprite-host` of our own on 127.0.0.1:0 with test hooks, stopped when released.
///
/// Two test tiers change every host a test starts (`make test` runs each over the suites that
/// matter; docs/compatibility.md): `GIT_SPRITE_TEST_EDGE=1` puts an HTTP/2-capable TLS edge
/// (nginx) in front of it, so `url` is the edge's `https://` URL, as the real service's is;
/// `GIT_SPRITE_TEST_SPARSE=1` makes it answer in the sparest documented shapes
/// (`--sparse-replies`).
/// Shared with the threads a test starts: what they read is set before they start.
final class LocalHost: @unchecked Sendable {
    /// Where clients reach the host: the edge when there is one, else the host itself.
    let url: String
    /// The host itself (`http://127.0.0.1:PORT`), even behind an edge.
    let directURL: String
    /// The TLS edge in front of the host, when the test or the tier asked for one.
    let edge: TLSEdge?
    static let edgeTier = ProcessInfo.processInfo.environment["GIT_SPRITE_TEST_EDGE"] == "1"
    static let sparseTier = ProcessInfo.processInfo.environment["GIT_SPRITE_TEST_SPARSE"] == "1"
    let token: String
    let root: String
    private let process: Process
    let logPath: String

    /// `user: .unprivileged` runs the host as an ordinary user; its root is then made outside
    /// the test's sandbox (whose directory only root may enter) and removed on release.
    /// `listen` another address: a host restarted on the port its clients know.
    init(
        root: String, idle: Double = 30, coldAfter: Double = 300, extraArgs: [String] = [],
        user: HostUser = .root, unprivilegedRoot: String? = nil, listen: String = "127.0.0.1:0",
        edge: Bool = LocalHost.edgeTier, sparse: Bool = LocalHost.sparseTier
    ) throws {
        var root = root
        if user == .unprivileged {
            root =
                unprivilegedRoot ?? FileManager.default.temporaryDirectory.path + "/git-sprite-host-"
                + UUID().uuidString
            ownedRoot = root
        }
        self.root = root
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let p = Process()
        let binary = Sandbox.binDirectory + "/sprite-host"
        let args =
            [
                "serve", "--listen", listen, "--root", root, "--test-hooks",
                "--idle", String(idle), "--cold-after", String(coldAfter),
            ] + (sparse ? ["--sparse-replies"] : [])
            + extraArgs
        if user == .unprivileged {
            let uid = String(HostUser.unprivilegedUID)
            chown(root, HostUser.unprivilegedUID, HostUser.unprivilegedUID)
            p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            p.arguments = ["--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--", binary] + args
            p.environment = ["PATH": "/usr/bin:/bin", "HOME": root, "LANG": "C.UTF-8"]
        } else {
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = args
        }
        let out = Pipe()
        p.standardOutput = out
        logPath = root + ".log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        p.standardInput = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        process = p
        directURL = TestDaemon.firstLine(of: out)
        token = ((try? String(contentsOfFile: root + "/token", encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard directURL.hasPrefix("http://127.0.0.1:") else {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            Issue.record("sprite-host did not start: \(directURL) \(log)")
            throw CocoaError(.executableLoad)
        }
        self.edge = edge ? try TLSEdge(upstream: directURL, directory: root + ".edge") : nil
        url = self.edge?.url ?? directURL
    }

    private var ownedRoot: String?

    /// Stops the host (a host on the same root may start then: one root, one host).
    func stop() {
        if process.isRunning {
            let pid = process.processIdentifier
            kill(pid, SIGTERM)
            // give the host time to stop its sprites and unmount their disks, then make sure it is gone
            for _ in 0..<500 where process.isRunning { usleep(20_000) }
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }

    deinit {
        stop()
        if let ownedRoot { try? FileManager.default.removeItem(atPath: ownedRoot) }
    }

    /// The host's process id.
    var pid: Int32 { process.processIdentifier }
    /// A file holding the `Authorization` header for this host's token, for `curl -H @FILE`:
    /// the token never goes into an argument list.
    func authorizationFile(in sandbox: Sandbox) throws -> String {
        let path = sandbox.path("auth")
        try "Authorization: Bearer \(token)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Whether the host's process has not ended yet.
    var isRunning: Bool { process.isRunning }

    /// A client of this host for the test's own calls: through the edge in the edge tier (the
    /// test process trusts its CA there), straight to the host otherwise.
    func client() -> SpritesClient { SpritesClient(baseURL: Self.edgeTier ? url : directURL, token: token) }

    /// A shell command's trimmed stdout in a sprite of this host, run from /home/sprite.
    func remote(_ command: String, sprite: String = "app-main") throws -> String {
        let r = try client().run(sprite, ["sh", "-c", command], directory: "/home/sprite")
        return String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Calls a test hook (`/_host/...`).
    @discardableResult
    func hook(_ method: String, _ path: String, json: Any? = nil) throws -> Data {
        try client().call(
            method, path, body: json.map { try JSONSerialization.data(withJSONObject: $0) },
            contentType: json == nil ? nil : "application/json"
        ).body
    }

    /// Configures faults (see FaultTable in SpriteHost).
    func faults(_ body: [String: Any]) throws { try hook("POST", "/_host/faults", json: body) }

    /// How many requests of `METHOD path` arrived.
    func requestCount(_ key: String) throws -> Int {
        let obj = try JSONSerialization.jsonObject(with: try hook("GET", "/_host/requests")) as? [String: Int]
        return obj?[key] ?? 0
    }
}

/// A host of a test's own with the named sprites made: where most host tests start.
struct HostFixture: Sendable {
    let sandbox: Sandbox
    let host: LocalHost
    let api: SpritesClient

    /// `retries: false`: one attempt per call, so a refused request is seen as it is.
    init(sprites: [String], user: HostUser = .root, retries: Bool = true) throws {
        sandbox = try Sandbox()
        host = try LocalHost(root: sandbox.path("host"), user: user)
        api = host.client()
        if !retries { api.maxAttempts = 1 }
        for name in sprites { _ = try api.createSprite(SpriteCreation(name: name)) }
    }
}

/// Reads exec events until `predicate` holds on everything received so far.
func readUntil(_ stream: ExecStream, timeout: Double = 10, _ predicate: (String) -> Bool) throws -> String {
    var seen = ""
    let deadline = Date().addingTimeInterval(timeout)
    while !predicate(seen) {
        guard Date() < deadline else { throw CocoaError(.fileReadUnknown) }
        switch try stream.next(timeout: deadline.timeIntervalSinceNow) {
        case .stdout(let d), .stderr(let d): seen += String(decoding: d, as: UTF8.self)
        case .exit: return seen
        case .info, .port: continue
        }
    }
    return seen
}
