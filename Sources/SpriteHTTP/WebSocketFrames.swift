import SpriteWire

/// One RFC 6455 frame, unmasked.
public struct WebSocketFrame: Equatable, Sendable {
    public var fin: Bool
    public var opcode: UInt8
    public var payload: [UInt8]

    public init(fin: Bool = true, opcode: UInt8, payload: [UInt8]) {
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
    }

    /// The frame's bytes; a client masks every frame with `mask`.
    public func encoded(mask: [UInt8]? = nil) -> [UInt8] {
        payload.withUnsafeBytes { Self.encode(fin: fin, opcode: opcode, payload: $0, mask: mask) }
    }

    /// A frame's bytes straight from its payload, in one allocation: `prefix`, when given, is
    /// the payload's first byte (an exec stream's id) ahead of `payload`; a client masks the
    /// whole payload with `mask`, eight bytes at a time.
    public static func encode(
        fin: Bool = true, opcode: UInt8, prefix: UInt8? = nil, payload: UnsafeRawBufferPointer,
        mask: [UInt8]?
    ) -> [UInt8] {
        let n = payload.count + (prefix == nil ? 0 : 1)
        let bit: UInt8 = mask?.count == 4 ? 0x80 : 0
        var header: [UInt8] = [(fin ? 0x80 : 0) | (opcode & 0x0f)]
        if n < 126 {
            header.append(bit | UInt8(n))
        } else if n <= 0xffff {
            header += [bit | 126, UInt8(n >> 8), UInt8(n & 0xff)]
        } else {
            header.append(bit | 127)
            for i in (0..<8).reversed() { header.append(UInt8(truncatingIfNeeded: UInt64(n) >> (UInt64(i) * 8))) }
        }
        if bit != 0, let mask { header += mask }
        return [UInt8](unsafeUninitializedCapacity: header.count + n) { out, count in
            guard let base = UnsafeMutableRawPointer(out.baseAddress) else {
                count = 0
                return
            }
            header.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
            var at = header.count
            if let prefix {
                base.storeBytes(of: prefix, toByteOffset: at, as: UInt8.self)
                at += 1
            }
            if let from = payload.baseAddress, !payload.isEmpty {
                (base + at).copyMemory(from: from, byteCount: payload.count)
            }
            if bit != 0, let mask {
                WebSocketMasking.apply(UnsafeMutableRawBufferPointer(start: base + header.count, count: n), key: mask)
            }
            count = header.count + n
        }
    }

    /// The first frame in `bytes` and how many bytes it took; nil while the frame is
    /// incomplete. Throws on what RFC 6455 forbids and on frames larger than `limit`, before
    /// any of their payload is needed.
    public static func decode(_ bytes: [UInt8], limit: Int) throws -> (WebSocketFrame, Int)? {
        try bytes.withUnsafeBytes { try decode($0, limit: limit) }
    }

    /// The same, over bytes in place (a receive buffer past what was already taken).
    public static func decode(_ bytes: UnsafeRawBufferPointer, limit: Int) throws -> (WebSocketFrame, Int)? {
        let available = bytes.count
        guard available >= 2 else { return nil }
        let b0 = bytes[0], b1 = bytes[1]
        if b0 & 0x70 != 0 { throw WebSocketError.protocolViolation("reserved bits set") }
        let opcode = b0 & 0x0f
        let masked = b1 & 0x80 != 0
        var length = Int(b1 & 0x7f)
        var header = 2
        if length == 126 {
            guard available >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            header = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            var wide: UInt64 = 0
            for i in 2..<10 { wide = wide << 8 | UInt64(bytes[i]) }
            guard wide <= UInt64(limit) else {
                throw WebSocketError.protocolViolation("a frame of \(wide) bytes (more than \(limit))")
            }
            length = Int(wide)
            header = 10
        }
        guard length <= limit else {
            throw WebSocketError.protocolViolation("a frame of \(length) bytes (more than \(limit))")
        }
        if opcode >= 0x8 && (length > 125 || b0 & 0x80 == 0) {
            throw WebSocketError.protocolViolation("a control frame that is fragmented or longer than 125 bytes")
        }
        if masked { header += 4 }
        guard available >= header + length else { return nil }
        var payload = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[header..<(header + length)]))
        if masked {
            let key = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[(header - 4)..<header]))
            payload.withUnsafeMutableBytes { WebSocketMasking.apply($0, key: key) }
        }
        return (WebSocketFrame(fin: b0 & 0x80 != 0, opcode: opcode, payload: payload), header + length)
    }
}

/// Joins frames into messages: data frames and their continuations, control frames as they
/// come. Pure, so the same code serves the socket and the fuzz harness.
public struct WebSocketAssembler: Sendable {
    /// What one frame completes.
    public enum Output: Equatable, Sendable {
        case message(WebSocketMessage)
        case ping([UInt8])
        case pong
    }

    public let limit: Int
    private var fragments: [UInt8] = []
    private var fragmentOpcode: UInt8?

    public init(limit: Int) { self.limit = limit }

    /// Takes one frame; returns what it completes (nil: a message is still being joined).
    public mutating func add(_ frame: WebSocketFrame) throws -> Output? {
        switch frame.opcode {
        case 0x9:
            return .ping(frame.payload)
        case 0xA:
            return .pong
        case 0x8:
            let p = frame.payload
            if p.count == 1 { throw WebSocketError.protocolViolation("a close frame with a one-byte code") }
            let code = p.count >= 2 ? UInt16(p[0]) << 8 | UInt16(p[1]) : 1005
            let reason = p.count > 2 ? String(decoding: p[2...], as: UTF8.self) : ""
            return .message(.close(code: code, reason: reason))
        case 0x0:
            guard let first = fragmentOpcode else { throw WebSocketError.protocolViolation("stray continuation") }
            guard fragments.count + frame.payload.count <= limit else {
                throw WebSocketError.protocolViolation("a message of more than \(limit) bytes")
            }
            fragments += frame.payload
            guard frame.fin else { return nil }
            let whole = fragments
            (fragments, fragmentOpcode) = ([], nil)
            return .message(first == 0x1 ? .text(String(decoding: whole, as: UTF8.self)) : .binary(whole))
        case 0x1, 0x2:
            if fragmentOpcode != nil {
                throw WebSocketError.protocolViolation("a new message before the last one ended")
            }
            if frame.fin {
                return .message(
                    frame.opcode == 0x1
                        ? .text(String(decoding: frame.payload, as: UTF8.self))
                        : .binary(frame.payload))
            }
            (fragments, fragmentOpcode) = (frame.payload, frame.opcode)
            return nil
        default:
            throw WebSocketError.protocolViolation("unknown opcode \(frame.opcode)")
        }
    }
}
