import Foundation
import SpriteHTTP
import SpritesAPI

#if canImport(Glibc)
    import Glibc
#endif

/// `--local` / `sprite.api=local`: starts or reuses the user's own sprite-host, with its state
/// under `$XDG_STATE_HOME/git-sprite/host` and its URL in a 0600 file beside it.
///
/// The host listens on a Unix socket in that directory (mode 0700, ours): the token is only
/// ever sent there, where no other user can listen, and never through a proxy. A host that is
/// started anew gets a new token, so a token that leaked from an old one is worth nothing.
public enum LocalHostManager {
    public struct Endpoint: Sendable {
        public let url: String
        public let token: String
    }

    static func stateDirectory(_ env: [String: String]) -> String {
        let base =
            env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return base + "/git-sprite"
    }

    /// The running local host, started when needed.
    public static func ensure(_ context: Context) throws -> Endpoint {
        let dir = stateDirectory(context.environment)
        let root = dir + "/host"
        let urlFile = dir + "/local-host.url"
        let socket = dir + "/host.sock"
        try FileManager.default.createDirectory(
            atPath: root, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try ensurePrivate(dir)
        if let endpoint = read(urlFile: urlFile, root: root, socket: socket), alive(endpoint) { return endpoint }
        // one start at a time: commands run side by side each started a host, and the losers'
        // hosts ran on unrecorded (a review); the next one in finds the first one's host
        let lock = open(dir + "/local-host.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        defer { if lock >= 0 { close(lock) } }
        if lock >= 0 {
            // (at most 30 s: a start held up elsewhere, a stopped command, must not hang this one)
            for _ in 0..<600 where flock(lock, LOCK_EX | LOCK_NB) != 0 { usleep(50_000) }
            if let endpoint = read(urlFile: urlFile, root: root, socket: socket), alive(endpoint) { return endpoint }
        }
        // one host per state root: one an earlier version left listening on TCP goes first
        stopRecordedHost(dir)
        // a new host, a new token
        unlink(root + "/token")

        guard let binary = hostBinary(context) else {
            throw SpriteError(
                "sprite-host is not installed next to git-sprite or on PATH",
                hints: ["install it: make install", "or use the cloud: unset sprite.api and export SPRITES_TOKEN"])
        }
        let out = dir + "/local-host.out"
        _ = FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(
            atPath: dir + "/local-host.log", contents: nil, attributes: [.posixPermissions: 0o600])
        let p = Process()
        // setsid: the host outlives this command and is not hit by the terminal's Ctrl-C
        let setsid = ["/usr/bin/setsid", "/bin/setsid"].first { FileManager.default.isExecutableFile(atPath: $0) }
        p.executableURL = URL(fileURLWithPath: setsid ?? binary)
        // (setsid forks when its caller leads a process group, so the host writes its own PID)
        p.arguments =
            (setsid == nil ? [] : [binary]) + [
                "serve", "--listen", "unix:" + socket, "--root", root,
                "--pid-file", dir + "/local-host.pid",
            ]
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/local-host.log"))
        p.standardInput = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let line = (try? String(contentsOfFile: out, encoding: .utf8))?.split(separator: "\n").first,
                line.hasPrefix(UnixSocketURL.scheme)
            {
                try String(line).write(toFile: urlFile, atomically: true, encoding: .utf8)
                chmod(urlFile, 0o600)
                if let endpoint = read(urlFile: urlFile, root: root, socket: socket) { return endpoint }
            }
            if !p.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let log = (try? String(contentsOfFile: dir + "/local-host.log", encoding: .utf8)) ?? ""
        throw SpriteError(
            "the local sprite-host did not start", hints: ["see \(dir)/local-host.log"],
            detail: String(log.suffix(500)))
    }

    /// The recorded host, when it is the socket in our own directory: anything else (a TCP port
    /// an earlier version recorded, which anyone may have taken since) is not trusted with the
    /// token.
    static func read(urlFile: String, root: String, socket: String) -> Endpoint? {
        guard
            let url = (try? String(contentsOfFile: urlFile, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty,
            UnixSocketURL.split(url)?.socket == socket, isOurSocket(socket),
            let token = (try? String(contentsOfFile: root + "/token", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
        else { return nil }
        return Endpoint(url: url, token: token)
    }

    /// Stops the host the PID file names, when that process is our own sprite-host.
    static func stopRecordedHost(_ dir: String) {
        guard let pid = recordedHost(dir) else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
    }

    /// A socket we own.
    static func isOurSocket(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK && st.st_uid == geteuid()
    }

    /// The state directory must be ours and closed to everyone else, or the socket in it
    /// proves nothing.
    static func ensurePrivate(_ dir: String) throws {
        var st = stat()
        guard lstat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid() else {
            throw SpriteError(
                "\(dir) is not a directory of yours", hints: ["remove it, or set XDG_STATE_HOME elsewhere"])
        }
        if st.st_mode & 0o077 != 0 { chmod(dir, 0o700) }
    }

    static func alive(_ endpoint: Endpoint) -> Bool {
        let client = HTTPClient(userAgent: "git-sprite/\(gitSpriteVersion)")
        let request = HTTPRequest(
            method: "GET", url: endpoint.url + "/v1/sprites?max_results=1",
            headers: [("Authorization", "Bearer " + endpoint.token)], timeout: 3,
            connectTimeout: 1)
        return (try? client.send(request))?.status == 200
    }

    /// sprite-host beside this executable (an install or a build directory), else on PATH.
    static func hostBinary(_ context: Context) -> String? {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let sibling = (me as NSString).deletingLastPathComponent + "/sprite-host"
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        return ExecutableSearch.find("sprite-host", path: context.environment["PATH"] ?? "")
    }
}

/// `git sprite host status` and `git sprite host stop`: the local sprite-host's lifecycle.
extension LocalHostManager {
    /// What `host status` says; its `--json` prints it (with `running`).
    public struct Status: Sendable, Codable {
        public var pid: Int32?
        public var socket: String
        public var root: String
        public var log: String
        /// Sprites on it (nil when it does not answer).
        public var sprites: Int?

        public var running: Bool { pid != nil && sprites != nil }

        public var text: String {
            var out =
                running
                ? "local sprite-host: running (pid \(pid ?? 0))\n"
                : pid != nil
                    ? "local sprite-host: not answering (pid \(pid ?? 0); its log may say why; "
                        + "git sprite host stop, then host start, starts it again)\n"
                    : "local sprite-host: not running (git sprite host start, or any command with --local, starts it)\n"
            out += "socket     \(socket)\n"
            out += "state      \(root)" + (sprites.map { " (\($0) sprite\($0 == 1 ? "" : "s"))" } ?? "") + "\n"
            out += "log        \(log)\n"
            return out
        }

        enum CodingKeys: String, CodingKey {
            case running, pid, socket
            case root = "state"
            case log, sprites
        }

        public init(pid: Int32? = nil, socket: String, root: String, log: String, sprites: Int? = nil) {
            (self.pid, self.socket, self.root, self.log, self.sprites) = (pid, socket, root, log, sprites)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                pid: try c.decodeIfPresent(Int32.self, forKey: .pid),
                socket: try c.decode(String.self, forKey: .socket),
                root: try c.decode(String.self, forKey: .root), log: try c.decode(String.self, forKey: .log),
                sprites: try c.decodeIfPresent(Int.self, forKey: .sprites))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(running, forKey: .running)
            try c.encodeIfPresent(pid, forKey: .pid)
            try c.encode(socket, forKey: .socket)
            try c.encode(root, forKey: .root)
            try c.encode(log, forKey: .log)
            try c.encodeIfPresent(sprites, forKey: .sprites)
        }
    }

    /// The process the PID file names, when it is our own sprite-host.
    static func recordedHost(_ dir: String) -> Int32? {
        guard let text = try? String(contentsOfFile: dir + "/local-host.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
            let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
            exe.hasSuffix("/sprite-host")
        else { return nil }
        var st = stat()
        guard stat("/proc/\(pid)", &st) == 0, st.st_uid == geteuid() else { return nil }
        return pid
    }

    public static func status(_ context: Context) -> Status {
        let dir = stateDirectory(context.environment)
        var status = Status(
            pid: recordedHost(dir), socket: dir + "/host.sock", root: dir + "/host", log: dir + "/local-host.log")
        // (asked with a short limit first: a host that holds requests, stopped or wedged, kept
        // `host status` waiting for each request's 30 s and its retries, about 2 minutes)
        if status.pid != nil,
            let endpoint = read(urlFile: dir + "/local-host.url", root: status.root, socket: status.socket),
            alive(endpoint)
        {
            let client = SpritesClient(baseURL: endpoint.url, token: endpoint.token)
            status.sprites = (try? client.listSprites())?.count
        }
        return status
    }

    /// Stops the local host: its sprites' processes end, their state stays for the next start.
    public static func stop(_ context: Context) throws -> String {
        let dir = stateDirectory(context.environment)
        guard let pid = recordedHost(dir) else { return "the local sprite-host is not running" }
        kill(pid, SIGTERM)
        for _ in 0..<300 where kill(pid, 0) == 0 { usleep(50_000) }
        guard kill(pid, 0) != 0 else {
            throw SpriteError(
                "the local sprite-host (pid \(pid)) did not stop within 15 seconds",
                hints: ["see \(dir)/local-host.log", "stop it by force: kill -9 \(pid)"])
        }
        unlink(dir + "/local-host.url")
        return "stopped the local sprite-host (pid \(pid)); its sprites are kept in \(dir)/host and come back with "
            + "git sprite up --local"
    }
}
