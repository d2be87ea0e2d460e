import ArgumentParser
import Foundation
import SpriteHost
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

@main
struct SpriteHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sprite-host",
        abstract: "A local server that speaks the Sprites API, for git sprite --local and tests.",
        version: Product.version,
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Sprites API; prints the base URL as the first line of stdout.",
        discussion: """
            Each sprite is a directory under --root, mounted at /home/sprite inside a bubblewrap \
            sandbox. Every request needs 'Authorization: Bearer <token>'; without --token-file a \
            token is generated into <root>/token (mode 0600).

            Examples:
              sprite-host serve --listen 127.0.0.1:0 --root /tmp/host
              sprite-host serve --token-file ~/.config/sprite-host/token
            """
    )

    @Option(help: "Address to listen on: HOST:PORT (port 0 picks a free port), or unix:PATH for a Unix socket.")
    var listen = "127.0.0.1:7780"

    @Option(help: "Directory holding the sprites (default: $XDG_STATE_HOME/git-sprite/host).")
    var root: String?

    @Option(help: "File holding the bearer token.")
    var tokenFile: String?

    @Option(help: "Seconds of inactivity before a running sprite goes warm.")
    var idle: Double = 30

    @Option(help: "Seconds a sprite stays warm before it goes cold.")
    var coldAfter: Double = 300

    @Option(help: "Write the server's process ID to this file once it listens.")
    var pidFile: String?

    @Flag(help: "Enable test-only routes under /_host (fault injection, forced cold).")
    var testHooks = false

    @Flag(help: "Allow listening on a non-loopback address.")
    var allowRemote = false

    @Option(
        help: ArgumentHelp(
            "Where each sprite's own URL is served: HOST:PORT on loopback, or 'off'.",
            discussion: "A sprite's URL is http://<sprite>.localhost:PORT/ (its port 8080, or the "
                + "service with http_port)."))
    var urlListen = "127.0.0.1:0"

    @Flag(
        help: ArgumentHelp(
            "Answer in the sparest shapes the Sprites API documents (for testing clients).",
            discussion: "List entries carry only name, org_slug and updated_at; checkpoints are listed "
                + "oldest first; a service's env and dir and a new sprite's config are ignored; a "
                + "duplicate name is a 400; validation errors come as {\"errors\": [...]}."))
    var sparseReplies = false

    @Option(help: "The most exec sessions one sprite may have running at once.")
    var maxSessionsPerSprite = SessionLimits().perSprite

    @Option(help: "The most exec sessions all sprites together may have running at once.")
    var maxSessions = SessionLimits().perHost

    @Option(help: "Seconds a request head may take to arrive whole (then 408 and the connection closes).")
    var requestHeadTimeout: Double = 30

    @Option(
        help: ArgumentHelp(
            "Percent of the host's memory the running sprites' memory limits may add up to.",
            discussion: "A sprite that would go past it does not start (409). Limits are ceilings, "
                + "not reservations, hence 200 by default. Only where limits are enforced (root)."))
    var memoryShare = 200

    func validate() throws {
        guard (1...10000).contains(memoryShare) else {
            throw ValidationError("--memory-share must be 1 to 10000 (percent)")
        }
        guard requestHeadTimeout > 0, requestHeadTimeout <= 3600 else {
            throw ValidationError("--request-head-timeout must be more than 0 and at most 3600 seconds")
        }
        guard maxSessionsPerSprite >= 1, maxSessions >= 1 else {
            throw ValidationError("--max-sessions and --max-sessions-per-sprite must be at least 1")
        }
        if urlListen != "off" {
            guard let (urlHost, urlPort) = Self.split(urlListen), (0...65535).contains(urlPort),
                Self.isLoopback(urlHost)
            else {
                throw ValidationError("--url-listen must be a loopback HOST:PORT (for example 127.0.0.1:0) or off")
            }
        }
        if listen.hasPrefix("unix:") {
            guard listen.dropFirst(5).hasPrefix("/") else {
                throw ValidationError("--listen unix:PATH needs an absolute path")
            }
            return
        }
        guard let (host, port) = Self.split(listen) else {
            throw ValidationError("--listen must be HOST:PORT, for example 127.0.0.1:7780")
        }
        guard (0...65535).contains(port) else { throw ValidationError("port \(port) is out of range") }

        if !allowRemote && !Self.isLoopback(host) {
            throw ValidationError(
                "refusing to listen on \(host): not a loopback address (pass --allow-remote to override)")
        }
    }

    static func split(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8 (a name that merely starts with
    /// "127." is not one).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        var addr = in_addr()
        return inet_pton(AF_INET, host, &addr) == 1 && UInt32(bigEndian: addr.s_addr) >> 24 == 127
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let stateHome = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/state")
        // every path the host hides from sprites or hands to bubblewrap is absolute and real: a
        // symlinked root (/home -> /var/home) must not slip past the mask of a shared directory
        let given = root ?? stateHome + "/git-sprite/host"
        try FileManager.default.createDirectory(atPath: given, withIntermediateDirectories: true)
        let rootDir = Self.realPath(given)
        // one host per root, for as long as it runs: two served the same sprites side by side
        // (their sandboxes, state and ports in a race) when `git sprite host start` ran twice at
        // once (a review); the lock goes with the process
        let lock = open(rootDir + "/host.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
        guard lock >= 0 else {
            throw HostStartFailure("cannot open \(rootDir)/host.lock: \(String(cString: strerror(errno)))")
        }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            throw HostStartFailure("another sprite-host is serving \(rootDir) (stop it first, or give another --root)")
        }
        let token = try loadToken(rootDir)
        let listener: HostListener
        if listen.hasPrefix("unix:") {
            listener = .unix(path: String(listen.dropFirst(5)))
        } else if let (host, port) = Self.split(listen) {
            listener = .tcp(host: host, port: port)
        } else {
            throw ValidationError("--listen must be HOST:PORT or unix:PATH")
        }
        let config = HostConfiguration(
            root: rootDir, token: token, tokenFile: Self.realPath(tokenFile ?? rootDir + "/token"),
            warmAfter: idle, coldAfter: coldAfter, testHooks: testHooks,
            sparseReplies: sparseReplies,
            urlListen: urlListen == "off" ? nil : Self.split(urlListen),
            sessionLimits: SessionLimits(perSprite: maxSessionsPerSprite, perHost: maxSessions),
            requestHeadTimeout: requestHeadTimeout, memorySharePercent: memoryShare)
        try await HostServer.run(config: config, listener: listener) { [pidFile] url in
            if let pidFile {
                _ = FileManager.default.createFile(
                    atPath: pidFile, contents: Data("\(getpid())\n".utf8),
                    attributes: [.posixPermissions: 0o600])
            }
            print(url)
            fflush(nil)  // every stream: the URL is read line by line by whoever started the host
        }
    }

    /// The absolute path with every symlink resolved (of its directory, when it does not exist).
    static func realPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if let resolved = realpath(absolute, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        let url = URL(fileURLWithPath: absolute)
        return realPath(url.deletingLastPathComponent().path) + "/" + url.lastPathComponent
    }

    private func loadToken(_ rootDir: String) throws -> String {
        let path = tokenFile ?? rootDir + "/token"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty { return token }
        }
        guard tokenFile == nil else { throw ValidationError("token file \(path) is empty or unreadable") }
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<bytes.count { bytes[i] = UInt8.random(in: 0...255) }
        let token = "local/" + bytes.map { String(format: "%02x", $0) }.joined()
        _ = FileManager.default.createFile(
            atPath: path, contents: Data((token + "\n").utf8),
            attributes: [.posixPermissions: 0o600])
        return token
    }
}

/// Why the host could not start, said without the usage text a `ValidationError` brings.
struct HostStartFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
