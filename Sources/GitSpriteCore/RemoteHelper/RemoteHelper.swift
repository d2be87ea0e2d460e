import CTerminal
import Foundation
import SpriteGit
import SpritesAPI

/// `git-remote-sprite`: git's remote helper for `sprite::<sprite>/<path>`.
/// It answers `capabilities` with `connect`, and `connect <service>` by running that service
/// (`git-upload-pack` or `git-receive-pack`) on the repository inside the sprite over the
/// exec WebSocket, piping git's protocol both ways.
public enum RemoteHelper {
    public static func main(arguments: [String]) -> Int32 {
        var context = Context.process()
        context.verbose = context.environment["GIT_SPRITE_TRACE"] == "1"
        do {
            guard arguments.count >= 3 else {
                throw SpriteError(
                    "git-remote-sprite is run by git for sprite::<sprite>/<path> remotes",
                    hints: ["for example: git fetch sprite::my-sprite/home/sprite/workspace"],
                    status: .usage)
            }
            let (sprite, path) = try parse(arguments[2])
            return try serve(context, sprite: sprite, path: path)
        } catch let e as SpriteError {
            context.terminal.report(e, verbose: context.verbose)
            return e.status.rawValue
        } catch {
            context.terminal.report(SpriteError("git-remote-sprite: \(error)"), verbose: true)
            return 1
        }
    }

    /// `box/home/sprite/workspace` → ("box", "/home/sprite/workspace"); `box` alone means the workspace.
    static func parse(_ address: String) throws -> (String, String) {
        var a = Substring(address)
        if a.hasPrefix("sprite::") { a = a.dropFirst("sprite::".count) }
        if a.hasPrefix("//") { a = a.dropFirst(2) }
        let name = a.prefix { $0 != "/" && $0 != ":" }
        var path = String(a.dropFirst(name.count))
        if path.hasPrefix(":") { path.removeFirst() }
        if path.isEmpty { path = SpritePaths.workspace }
        if !path.hasPrefix("/") { path = SpritePaths.home + "/" + path }
        // a sprite name as the API allows it (1-63 of a-z, 0-9, '-'; no leading '-'): it becomes
        // part of a URL path, so nothing else may pass
        let valid =
            !name.isEmpty && name.count <= 63 && name.first != "-"
            && name.unicodeScalars.allSatisfy {
                ($0.value >= 0x61 && $0.value <= 0x7a) || ($0.value >= 0x30 && $0.value <= 0x39) || $0 == "-"
            }
        guard valid, !path.contains("\0") else {
            throw SpriteError(
                "invalid sprite address '\(address)'",
                hints: ["use sprite::<sprite>/<absolute path>"], status: .usage)
        }
        return (String(name), path)
    }

    /// The longest command line git sends a helper is far shorter: input without a newline
    /// in this much (`/dev/zero` as stdin) is not git's, and held whole it grew without end.
    static let longestLine = 64 * 1024

    /// Reads one line from fd 0 byte by byte, so no protocol bytes after it are consumed.
    static func readLine() throws -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(STDIN_FILENO, &byte, 1) == 1 {
            if byte == 0x0a { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
            if bytes.count > longestLine {
                throw SpriteError(
                    "git-remote-sprite: a command line longer than \(longestLine) bytes",
                    hints: ["git-remote-sprite is run by git for sprite::<sprite>/<path> remotes"], status: .usage)
            }
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    static func writeOut(_ text: String) {
        let data = Array(text.utf8)
        _ = data.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    static func serve(_ context: Context, sprite: String, path: String) throws -> Int32 {
        while let line = try readLine() {
            if line == "capabilities" {
                writeOut("connect\n\n")
            } else if line.hasPrefix("connect ") {
                let service = String(line.dropFirst("connect ".count))
                guard service == "git-upload-pack" || service == "git-receive-pack" else {
                    throw SpriteError("git-remote-sprite cannot run \(service)", status: .usage)
                }
                writeOut("\n")
                return try pipe(context, sprite: sprite, service: service, path: path)
            } else if line.isEmpty {
                return 0
            } else {
                throw SpriteError("git-remote-sprite: unsupported command '\(line)'")
            }
        }
        return 0
    }

    /// The services a helper runs in the sprite.
    static let services: Set<String> = ["git-upload-pack", "git-receive-pack"]

    static func pipe(_ context: Context, sprite: String, service: String, path: String) throws -> Int32 {
        let gitProtocol = context.environment["GIT_PROTOCOL"]
        if let relay = context.environment[HelperRelay.variable], !relay.isEmpty,
            let status = try HelperRelay.hand(
                to: relay, sprite: sprite, service: service, spritePath: path, gitProtocol: gitProtocol)
        {
            return status
        }
        let repo = try? RepositoryLocator.primary(context)
        let settings = try SettingsLoader(environment: context.environment, repository: repo).load()
        let connection = try Connection.make(settings: settings, context: context)
        do {
            return try run(
                try connection.liveClient(), sprite: sprite, service: service, path: path, gitProtocol: gitProtocol,
                stdin: STDIN_FILENO, stdout: STDOUT_FILENO, stderr: STDERR_FILENO)
        } catch {
            // (a SpriteError passes through as it is)
            throw connection.translate(error)
        }
    }

    /// Runs `service` on `path` in the sprite over an exec WebSocket, its input read from
    /// `stdin` and its output written to `stdout` and `stderr` until it ends: its status.
    static func run(
        _ client: SpritesClient, sprite: String, service: String, path: String, gitProtocol: String?,
        stdin: Int32, stdout: Int32, stderr: Int32
    ) throws -> Int32 {
        var env: [String: String] = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": SpritePaths.home]
        if let gitProtocol { env["GIT_PROTOCOL"] = gitProtocol }
        // a dropped tunnel must not leave git holding locks in the sprite for long
        let request = ExecRequest(
            command: [service, path], environment: env, directory: "/", stdin: true,
            maxRunAfterDisconnect: "2s")
        let stream = try client.openExec(sprite, request)
        defer { stream.close() }
        // the copy of the input reads a descriptor of its own, which it closes when done (the
        // caller may close `stdin` as soon as this returns: the relay does), and stops touching
        // the stream once the command has ended: in a process that lives on (the relay's), it
        // would otherwise still write to it when git closes its end, maybe while the process
        // exits, inside the TLS library's exit-time clean-up
        let input = fcntl(stdin, F_DUPFD_CLOEXEC, 3)
        guard input >= 0 else {
            throw SpriteError("unexpected failure: \("dup: " + String(cString: strerror(errno)))")
        }
        var cancel: [Int32] = [-1, -1]
        guard git_sprite_pipe(&cancel) == 0 else {
            let why = String(cString: strerror(errno))
            close(input)
            throw SpriteError("unexpected failure: \("pipe: " + why)")
        }
        let (stop, stopping, stopped) = (cancel[1], cancel[0], DispatchSemaphore(value: 0))
        let pump = Thread {
            defer {
                close(input)
                stopped.signal()
            }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var watched = [
                pollfd(fd: input, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopping, events: Int16(POLLIN), revents: 0),
            ]
            while true {
                let ready = poll(&watched, 2, -1)
                if ready < 0 && errno == EINTR { continue }
                if ready < 0 || watched[1].revents != 0 { return }
                let n = read(input, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                if (try? stream.write(Data(buffer[0..<n]))) == nil { return }
            }
            try? stream.closeStdin()
        }
        pump.start()
        defer {
            var byte: UInt8 = 1
            _ = write(stop, &byte, 1)
            // the pipe goes once the copy is done with it (never a number another thread reuses)
            if stopped.wait(timeout: .now() + 5) == .success {
                close(stopping)
                close(stop)
            }
        }
        return try stream.relay(stdout: { writeAll(stdout, $0) }, stderr: { writeAll(stderr, $0) })
    }
}
