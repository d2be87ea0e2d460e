import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTPTypes
import NIOPosix

/// What the splitter needs of a request head: whether it asks for a WebSocket, and how its
/// body is framed.
struct RequestHead {
    enum Body {
        case none
        case length(Int)
        case chunked, unknown
    }
    let isWebSocketUpgrade: Bool
    let body: Body

    /// Nil when the bytes are not a request head this reader understands.
    init?(_ buffer: ByteBuffer) {
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst()
        guard requestLine.split(separator: " ").count == 3 else { return nil }
        var upgrade = false, connectionUpgrade = false, chunked = false
        var lengths: [Int] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
            switch name {
            case "upgrade": upgrade = upgrade || value.contains("websocket")
            case "connection": connectionUpgrade = connectionUpgrade || value.contains("upgrade")
            case "transfer-encoding": chunked = chunked || value.contains("chunked")
            case "content-length":
                guard let n = Int(value), n >= 0 else { return nil }
                lengths.append(n)
            default: break
            }
        }
        isWebSocketUpgrade = upgrade && connectionUpgrade
        if chunked {
            body = lengths.isEmpty ? .chunked : .unknown
        } else if let first = lengths.first {
            body = lengths.allSatisfy({ $0 == first }) ? .length(first) : .unknown
        } else {
            body = .none
        }
    }
}

/// Follows a chunked body (RFC 9112 section 7.1) as its bytes pass: sizes, data, the last chunk and
/// the trailer section, so the splitter knows where the next request starts.
struct ChunkedBodyScanner {
    enum State { case more, done, invalid }
    private enum Step {
        case size
        case data(Int)
        case dataEnd, trailer
    }
    private var step = Step.size
    private var line: [UInt8] = []
    /// Lines (sizes, trailers) longer than this are refused.
    static let maxLine = 8 << 10

    /// Consumes what belongs to the body from `bytes`; returns how much and whether the body
    /// ended.
    mutating func consume(_ bytes: ByteBufferView) -> (used: Int, state: State) {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            switch step {
            case .data(let left):
                let n = min(left, bytes.endIndex - i)
                i += n
                step = left - n > 0 ? .data(left - n) : .dataEnd
                line = []
            case .size, .dataEnd, .trailer:
                let byte = bytes[i]
                i += 1
                line.append(byte)
                if line.count > Self.maxLine { return (i - bytes.startIndex, .invalid) }
                guard line.count >= 2, line[line.count - 2] == 13, byte == 10 else { continue }
                let content = line.dropLast(2)
                line = []
                switch step {
                case .size:
                    let hex = content.prefix { $0 != UInt8(ascii: ";") }
                    guard !hex.isEmpty, hex.count <= 15,
                        let size = Int(
                            String(decoding: hex, as: UTF8.self).trimmingCharacters(in: .whitespaces), radix: 16)
                    else { return (i - bytes.startIndex, .invalid) }
                    step = size == 0 ? .trailer : .data(size)
                case .dataEnd:
                    guard content.isEmpty else { return (i - bytes.startIndex, .invalid) }
                    step = .size
                case .trailer:
                    if content.isEmpty { return (i - bytes.startIndex, .done) }
                case .data:
                    break
                }
            }
        }
        return (i - bytes.startIndex, .more)
    }
}
