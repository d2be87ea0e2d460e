import CTerminal
import Foundation
import SpriteHTTP
import SpriteSync
import SpritesAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The pushes and fetches of `up` and `down` go through `git-remote-sprite`, a process git
/// starts, which would open a connection of its own for its exec: through the real service's
/// edge, two round trips (TCP and TLS) before its first byte. This relay lets it use the
/// command's own connections instead (`SpareConnections`, opened ahead): the helper connects
/// to a Unix socket the command listens on (`GIT_SPRITE_RELAY`, in a directory only this user
/// may enter), sends its request, and once it is taken hands over its stdin, stdout and
/// stderr and exits with the status it is sent back; the command runs the exec on those
/// descriptors. A helper that cannot reach the relay, or is refused (another sprite), opens its
/// own connection as before.
final class HelperRelay: @unchecked Sendable {
    static let variable = "GIT_SPRITE_RELAY"
    /// What a refused request is answered with: the helper goes on by itself.
    static let refused: Int32 = -1
    /// What a request taken is answered with at once (its status follows when the exec ends).
    static let taken: Int32 = -2
    /// How long a helper waits for its request to be taken or refused.
    static let answerWithin: Int32 = 10_000

    private static let running = Locked<HelperRelay?>(nil)

    /// `GIT_SPRITE_RELAY` for the git commands this process runs, while a relay runs.
    static var environment: [String: String] {
        running.value.map { [variable: $0.socketPath] } ?? [:]
    }

    let socketPath: String
    private let directory: String
    private let listener: Int32
    private let client: SpritesClient
    private let sprite: String
    private let translate: @Sendable (Error) -> Error
    private let trace: (@Sendable (String) -> Void)?
    private let stopped = Locked(false)

    private init(
        directory: String, listener: Int32, client: SpritesClient, sprite: String,
        translate: @escaping @Sendable (Error) -> Error, trace: (@Sendable (String) -> Void)?
    ) {
        self.trace = trace
        self.directory = directory
        socketPath = directory + "/relay"
        self.listener = listener
        self.client = client
        self.sprite = sprite
        self.translate = translate
    }

    /// Starts relaying the helpers' execs for `sprite` over `connection`; nil (the helpers
    /// connect by themselves) without a live connection or when no socket can be made.
    static func start(_ connection: Connection, sprite: String, _ context: Context) -> HelperRelay? {
        guard let client = connection.streaming else { return nil }
        removeStale()
        var template = Array(
            (FileManager.default.temporaryDirectory.path + "/" + directoryPrefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { return nil }
        let directory = String(cString: made)
        let path = directory + "/relay"
        // removed by Ctrl-C's handler too (the socket first, then the directory)
        git_sprite_temporary_add(path)
        git_sprite_temporary_add(directory)
        guard let address = UnixSocketAddress(path) else {
            remove(socket: path, directory: directory)
            return nil
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, address.bind(fd) == 0, listen(fd, 16) == 0 else {
            if fd >= 0 { close(fd) }
            remove(socket: path, directory: directory)
            return nil
        }
        let terminal = context.terminal
        var trace: (@Sendable (String) -> Void)?
        if context.verbose { trace = { @Sendable line in terminal.note("trace: " + line) } }
        let relay = HelperRelay(
            directory: directory, listener: fd, client: client, sprite: sprite,
            translate: { connection.translate($0) }, trace: trace)
        running.set(relay)
        Thread { relay.serve() }.start()
        return relay
    }

    /// No more helpers are taken; those being served finish. The listener is closed by its own
    /// thread, which ends only here (so its descriptor is never one reused meanwhile).
    func stop() {
        HelperRelay.running.withLock { if $0 === self { $0 = nil } }
        stopped.set(true)
        shutdown(listener, Int32(SHUT_RDWR))
        Self.remove(socket: socketPath, directory: directory)
    }

    private static func remove(socket: String, directory: String) {
        unlink(socket)
        rmdir(directory)
        git_sprite_temporary_forget(socket)
        git_sprite_temporary_forget(directory)
    }

    private func serve() {
        defer { close(listener) }
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if stopped.value { return }
                // out of descriptors, say: the helpers that cannot connect go by themselves
                if errno != EINTR && errno != ECONNABORTED { usleep(50_000) }
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            Thread { self.answer(fd) }.start()
        }
    }

    /// One helper: its request, taken or refused; then its descriptors, the exec on them, the
    /// status back. The descriptors come only once the request is taken: descriptors sent to a
    /// socket nobody reads would hold git's pipes open for as long as that socket lives.
    private func answer(_ fd: Int32) {
        defer { close(fd) }
        var fds = [Int32](repeating: -1, count: 3)
        var got: Int32 = 0
        var message = [UInt8](repeating: 0, count: 4096)
        let n = git_sprite_recv_fds(fd, &fds, 3, &got, &message, message.count)
        for f in fds.prefix(Int(max(got, 0))) { close(f) }
        let fields =
            n > 0
            ? message[..<n].split(separator: 0, omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            } : []
        guard n < message.count, got == 0, fields.count == 4, fields[0] == sprite,
            RemoteHelper.services.contains(fields[1]), fields[2].hasPrefix("/")
        else {
            Self.reply(Self.refused, to: fd)
            return
        }
        Self.reply(Self.taken, to: fd)
        var byte: UInt8 = 0
        let m = git_sprite_recv_fds(fd, &fds, 3, &got, &byte, 1)
        let passed = Array(fds.prefix(Int(max(got, 0))))
        // git waits for the end of the helper's output: every copy of it is closed first
        func finish(_ status: Int32) {
            for f in passed { close(f) }
            Self.reply(status, to: fd)
        }
        guard m == 1, passed.count == 3 else {
            finish(Self.refused)
            return
        }
        trace?("relaying \(fields[1]) \(fields[2]) for git-remote-sprite")
        var status: Int32
        do {
            status = try RemoteHelper.run(
                client, sprite: sprite, service: fields[1], path: fields[2],
                gitProtocol: fields[3].isEmpty ? nil : fields[3], stdin: passed[0], stdout: passed[1],
                stderr: passed[2])
        } catch {
            let failure = translate(error) as? SpriteError ?? SpriteError("unexpected failure: \(error)")
            var text = "error: " + failure.message + "\n"
            for hint in failure.hints { text += "hint: " + hint + "\n" }
            writeAll(passed[2], Data(text.utf8))
            status = failure.status.rawValue
        }
        finish(status)
    }

    private static func reply(_ status: Int32, to fd: Int32) {
        var value = status.bigEndian
        _ = withUnsafeBytes(of: &value) { Glibc.send(fd, $0.baseAddress, 4, Int32(MSG_NOSIGNAL)) }
    }

    /// The helper's side: hands this process's stdin, stdout and stderr to the relay at `path`
    /// and waits for the exec's status; nil when there is no relay to take it (or it refused),
    /// with nothing read or written.
    static func hand(
        to path: String, sprite: String, service: String, spritePath: String, gitProtocol: String?
    ) throws -> Int32? {
        guard let address = UnixSocketAddress(path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard address.connect(fd) == 0 else { return nil }
        let message = Array([sprite, service, spritePath, gitProtocol ?? ""].joined(separator: "\0").utf8)
        let sent = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == message.count else { return nil }
        // taken or refused at once; a socket that says neither is not a relay of ours
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var waited = poll(&ready, 1, answerWithin)
        while waited < 0 && errno == EINTR { waited = poll(&ready, 1, answerWithin) }
        guard waited > 0 else {
            throw SpriteError(
                "the relay at \(path) (GIT_SPRITE_RELAY) did not answer",
                hints: ["unset GIT_SPRITE_RELAY, or run the git sprite command that set it again"])
        }
        let first = try status(from: fd, service: service)
        guard first == taken else { return first == refused ? nil : first }
        // now the descriptors, with one byte
        let fds: [Int32] = [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO]
        var byte: UInt8 = 0
        guard git_sprite_send_fds(fd, fds, 3, &byte, 1) == 0 else {
            throw SpriteError("unexpected failure: \("the relay at " + path + " took no descriptors")")
        }
        let final = try status(from: fd, service: service)
        guard final != refused else {
            throw SpriteError("unexpected failure: \("the relay at " + path + " refused the descriptors")")
        }
        return final
    }

    /// The next status the relay sends.
    private static func status(from fd: Int32, service: String) throws -> Int32 {
        var value: Int32 = 0
        var read = 0
        while read < 4 {
            let n = withUnsafeMutableBytes(of: &value) { recv(fd, $0.baseAddress! + read, 4 - read, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw SpriteError(
                    "the git sprite command this \(service) ran for ended before it did",
                    hints: ["run that git sprite command again; it resumes where it stopped"])
            }
            read += n
        }
        return Int32(bigEndian: value)
    }
}
