import Foundation
import SpriteHTTP
import SpriteWire

/// One message of an exec stream.
public enum ExecEvent: Sendable, Equatable {
    case stdout(Data)
    case stderr(Data)
    case exit(Int32)
    /// `session_info` and other JSON messages, decoded.
    case info(sessionID: String?, tty: Bool?)
    /// Something in the sprite started (`opened`) or stopped listening on a TCP port.
    case port(opened: Bool, port: Int, address: String?)
}

extension ExecEvent {
    /// What one WebSocket message of an exec stream says: in non-TTY mode a binary
    /// message is a stream byte (1 stdout, 2 stderr, 3 exit) and its data; in TTY mode it is
    /// all output; text messages are JSON (`session_info`, `exit`). nil for what carries
    /// nothing (an unknown stream or message type, an empty frame, a close: the stream
    /// judges a close by whether the exit came first).
    public static func decode(_ message: WebSocketMessage, tty: Bool) -> ExecEvent? {
        switch message {
        case .binary(let bytes):
            if tty { return .stdout(Data(bytes)) }
            guard let kind = bytes.first else { return nil }
            let payload = Data(bytes.dropFirst())
            switch kind {
            case 1: return .stdout(payload)
            case 2: return .stderr(payload)
            case 3: return .exit(Int32(payload.first ?? 0))
            default: return nil
            }
        case .text(let text):
            if let known = quickly(text) { return known }
            return throughCodable(text)
        case .close:
            return nil
        }
    }

    /// A text message read by `FlatJSON`, when that can say what Codable would say of it (the
    /// common case: the first use of Codable costs about 1 ms): nil when it cannot, `.some(nil)`
    /// for a message that carries nothing.
    static func quickly(_ text: String) -> ExecEvent?? {
        guard let json = FlatJSON(text), let type = json.string("type") else { return nil }
        // ExecMessage's fields: each absent, null or of its type, or Codable decides
        let kinds: [(String, FlatJSON.Kind)] = [
            ("exit_code", .number), ("cols", .integer), ("rows", .integer), ("signal", .string),
            ("port", .integer), ("address", .string),
        ]
        guard kinds.allSatisfy({ json.fits($0.0, $0.1) }) else { return nil }
        switch type {
        case "session_info":
            guard json.fits("tty", .bool) else { return nil }
            let tty: Bool? = if case .bool(let b)? = json["tty"] { b } else { nil }
            if let id = json.string("session_id") { return .info(sessionID: id, tty: tty) }
            if let id = json.integer("session_id") { return .info(sessionID: String(id), tty: tty) }
            return nil
        case "exit":
            let code: Double? = if case .number(let n)? = json["exit_code"] { Double(n) } else { nil }
            return .exit(ExecMessage(type: type, exitCode: code).exitStatus)
        case "port_opened", "port_closed":
            guard let port = json.integer("port"), (1...65535).contains(port) else { return .some(nil) }
            return .port(opened: type == "port_opened", port: port, address: json.string("address"))
        default:
            return .some(nil)
        }
    }

    /// A text message decoded as `ExecMessage` (and `ExecSessionInfo`) through Codable.
    static func throughCodable(_ text: String) -> ExecEvent? {
        let data = Data(text.utf8)
        guard let message = try? Wire.decode(ExecMessage.self, from: data) else { return nil }
        switch message.type {
        case "session_info":
            guard let info = try? Wire.decode(ExecSessionInfo.self, from: data) else { return nil }
            return .info(sessionID: info.sessionID, tty: info.tty)
        case "exit":
            return .exit(message.exitStatus)
        case "port_opened", "port_closed":
            guard let port = message.port, (1...65535).contains(port) else { return nil }
            return .port(opened: message.type == "port_opened", port: port, address: message.address)
        default:
            return nil
        }
    }
}
