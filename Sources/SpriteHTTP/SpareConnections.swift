import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// Connections opened before they are needed, one origin at a time, for a process that opens
/// one WebSocket after another (`git sprite up`: the lock, the look, the checkout, the agent).
/// Each new connection costs round trips before it carries a request (TCP's handshake, and
/// TLS's through the real service's edge): opened while the previous step runs, it costs none
/// on the critical path. While `keep` holds for an origin, one spare is being opened or waits;
/// `WebSocketTransport.open` takes it, and the next one starts.
///
/// A spare is used for one upgrade request only, only while young (a server may close a
/// connection that sent nothing: nginx after `client_header_timeout`, 60 s by default), and
/// only when the server has not closed it: one the server hung up on (or, a plain one, sent
/// anything on) is dropped before a byte is written. A request once written is never sent
/// again: the server may have started the command.
public enum SpareConnections {
    /// How long a spare is used at most after it was opened.
    static let freshFor: TimeInterval = 20

    private struct Spare {
        let opened = Date()
        let opening: InBackground<Result<WebSocketTransport, Error>>
    }

    private struct State {
        /// The origin spares are kept for, and how an open of it is bounded.
        var kept: (origin: String, url: String, timeout: Double)?
        var spare: Spare?
    }

    private static let state = Locked(State())

    /// Keeps a spare connection to the origin of `httpURL` (`http://`, `https://`,
    /// `http+unix://`) from now until `stop()`; another origin's spares stop.
    public static func keep(for httpURL: String, timeout: Double = 30) {
        let origin = Self.origin(of: httpURL)
        let start = state.withLock { s -> Bool in
            guard s.kept?.origin != origin else { return false }
            s.kept = (origin, httpURL, timeout)
            s.spare = nil
            return true
        }
        if start { prepare() }
    }

    /// No more spares; one waiting is closed, and one still opening is waited for (at most
    /// `within` seconds): a process that exits while a thread is inside libcurl's TLS handshake
    /// can crash in the TLS library's exit-time clean-up.
    public static func stop(within: Double = 5) {
        let opening = state.withLock { s -> Spare? in
            defer {
                s.kept = nil
                s.spare = nil
            }
            return s.spare
        }
        _ = opening?.opening.value(within: within)
    }

    /// The spare for `httpURL`'s origin, waiting at most `within` seconds (the caller's own
    /// bound) for one still opening; nil when none is kept for it, or the one there failed, is
    /// too old or was hung up on. Another starts opening.
    static func take(for httpURL: String, within: Double) -> WebSocketTransport? {
        let origin = Self.origin(of: httpURL)
        let (spare, timeout) = state.withLock { s -> (Spare?, Double) in
            guard let kept = s.kept, kept.origin == origin else { return (nil, 0) }
            defer { s.spare = nil }
            return (s.spare, kept.timeout)
        }
        guard let spare else { return nil }
        let opened = spare.opening.value(within: min(timeout, within))
        // the next one once this one is open: one at a time, in order (started beside it, the
        // next could reach the server first and be the connection it closes or answers)
        prepare()
        guard case .success(let transport)? = opened, Date().timeIntervalSince(spare.opened) < freshFor,
            untouched(transport)
        else { return nil }
        return transport
    }

    /// POLLRDHUP (Linux; Glibc hides it without _GNU_SOURCE): the peer shut its side down.
    private static let readHangUp: Int16 = 0x2000

    /// Whether the server has left the connection as it was opened: not hung up, and (without
    /// TLS, whose servers may send session tickets unasked) nothing to read.
    static func untouched(_ transport: WebSocketTransport) -> Bool {
        var pfd = pollfd(fd: transport.socket, events: Int16(POLLIN) | Self.readHangUp, revents: 0)
        guard poll(&pfd, 1, 0) >= 0 else { return false }
        let hungUp = Int16(POLLHUP) | Self.readHangUp | Int16(POLLERR) | Int16(POLLNVAL)
        if pfd.revents & hungUp != 0 { return false }
        return transport.usesCurl || pfd.revents & Int16(POLLIN) == 0
    }

    /// Starts opening the next spare, unless one is there or none is kept.
    private static func prepare() {
        state.withLock { s in
            guard let kept = s.kept, s.spare == nil else { return }
            s.spare = Spare(
                opening: InBackground { Result { try WebSocketTransport.open(kept.url, timeout: kept.timeout) } })
        }
    }

    /// What one connection serves: a Unix socket's path, else scheme, host and port.
    static func origin(of httpURL: String) -> String {
        if let (path, _) = UnixSocketURL.split(httpURL) { return "unix:" + path }
        guard let c = URLComponents(string: httpURL) else { return httpURL }
        return "\(c.scheme ?? "")://\(c.encodedHost ?? ""):\(c.port.map(String.init) ?? "")"
    }
}
