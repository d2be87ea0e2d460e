import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// Exec over WebSocket: start a command or attach to a session, then relay it.
extension ExecController {
    /// Adds the WebSocket routes to the group of a sprite (`SpriteMiddleware` has resolved `:name`).
    /// `sparse`: a stream reports only the ports that open or close while it runs, not those
    /// open when it starts, and the upgrade does not say the stream takes signals (all the
    /// Sprites API documents: the header "may" be there; a client then signals through the
    /// session's kill; `--sparse-replies`).
    static func addWebSocket(to sprite: RouterGroup<HostWebSocketContext>, faults: FaultTable?, sparse: Bool = false) {
        let upgradeHeaders: HTTPFields =
            sparse ? [.spriteVersion: spriteVersion] : [.spriteVersion: spriteVersion, .spriteCapabilities: "signal"]
        sprite.ws(
            "exec",
            shouldUpgrade: { request, context in
                let runtime = try context.named().runtime
                let q = Query(request)
                if let id = q["id"] {
                    guard runtime.session(id) != nil else { throw HostError.notFound("session not found: \(id)") }
                } else {
                    try await ExecParameters(q).checkDirectory(runtime)
                    // refused as HTTP, with the reason, while it still can be
                    try await Blocking.run { try runtime.checkRoomForSession() }
                }
                return .upgrade(upgradeHeaders)
            },
            onUpgrade: { inbound, outbound, ws in
                let runtime = try ws.requestContext.named().runtime
                let q = Query(ws.request)
                let fault = faults?.take(method: "WS", path: ws.request.uri.path)
                if let id = q["id"], let session = runtime.session(id) {
                    try await serve(
                        session, runtime: runtime, inbound: inbound, outbound: outbound, owner: false,
                        stdin: q.bool("stdin") ?? true, dropAfterMs: fault?.drop,
                        dropBeforeExit: fault?.dropBeforeExit ?? false, sparse: sparse,
                        channel: ws.requestContext.channel)
                    return
                }
                let p = try ExecParameters(q)
                let started: (ExecSession, SessionSubscription)
                do {
                    started = try await Blocking.run {
                        try runtime.startSession(
                            command: p.command, path: p.path, environment: p.environment, directory: p.directory,
                            tty: p.tty,
                            rows: p.rows, cols: p.cols, maxRunAfterDisconnect: p.maxRunAfterDisconnect)
                    }
                } catch let error as HostError {
                    // the limit was met between the upgrade and now: say so in the close frame
                    try? await outbound.close(
                        .policyViolation, reason: String(error.message.utf8.prefix(120)) ?? "refused")
                    return
                }
                let (session, subscription) = started
                try await serve(
                    session, runtime: runtime, inbound: inbound, outbound: outbound, owner: true,
                    stdin: p.stdin, dropAfterMs: fault?.drop, dropBeforeExit: fault?.dropBeforeExit ?? false,
                    subscription: subscription, sparse: sparse, channel: ws.requestContext.channel)
            })

        sprite.ws(
            "exec/:id",
            shouldUpgrade: { _, context in
                let runtime = try context.named().runtime
                let id = try context.param("id")
                guard runtime.session(id) != nil else { throw HostError.notFound("session not found: \(id)") }
                return .upgrade(upgradeHeaders)
            },
            onUpgrade: { inbound, outbound, ws in
                let runtime = try ws.requestContext.named().runtime
                guard let session = runtime.session(try ws.requestContext.param("id")) else { return }
                let fault = faults?.take(method: "WS", path: ws.request.uri.path)
                try await serve(
                    session, runtime: runtime, inbound: inbound, outbound: outbound, owner: false,
                    stdin: Query(ws.request).bool("stdin") ?? true, dropAfterMs: fault?.drop,
                    dropBeforeExit: fault?.dropBeforeExit ?? false, sparse: sparse,
                    channel: ws.requestContext.channel)
            })
    }

    /// Relays one client and one session: `session_info`, scrollback when attaching, live
    /// output, stdin, resize and signals, then the exit message and a normal close.
    static func serve(
        _ session: ExecSession, runtime: SpriteRuntime, inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter, owner: Bool, stdin: Bool, dropAfterMs: Int?,
        dropBeforeExit: Bool = false, subscription: SessionSubscription? = nil, sparse: Bool = false,
        channel: (any Channel)? = nil
    ) async throws {
        runtime.connect()
        defer { runtime.disconnect() }
        // the owner's subscription predates the process; an attach replays the scrollback
        let events = subscription ?? session.subscribe(replay: !owner, owner: false)
        defer { session.unsubscribe(events.key) }
        let info = ExecSessionInfo(
            sessionID: session.id, command: session.command,
            created: Int(session.created.timeIntervalSince1970), isOwner: owner, tty: session.tty)
        let infoText = String(decoding: try Wire.encode(info), as: UTF8.self)
        try await outbound.write(.text(infoText))
        if owner && !stdin && !session.tty { session.process?.closeStdin() }
        let tty = session.tty

        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                var pacing = ReplyPacing(channel: channel)
                while let event = await events.next() {
                    switch event {
                    case .output(let stream, let data):
                        var offset = 0
                        while offset < data.count {
                            let end = min(offset + 32 * 1024, data.count)
                            var buf = ByteBuffer()
                            if !tty { buf.writeInteger(stream.rawValue) }
                            buf.writeBytes(data[data.startIndex + offset..<data.startIndex + end])
                            let size = buf.readableBytes
                            try await outbound.write(.binary(buf))
                            try await pacing.wrote(size)
                            offset = end
                        }
                    case .exit(let code):
                        if dropBeforeExit { throw HostError.internalError("injected drop before the exit frame") }
                        if tty {
                            try await outbound.write(
                                .text(String(decoding: try Wire.encode(ExecMessage.exit(code)), as: UTF8.self)))
                        } else {
                            try await outbound.write(.binary(ByteBuffer(bytes: [3, UInt8(truncatingIfNeeded: code)])))
                        }
                        // give the client a moment to close first, then close normally
                        try? await Task.sleep(nanoseconds: 200_000_000)
                        try? await outbound.close(.normalClosure, reason: nil)
                        return true
                    }
                }
                // this client was dropped for falling behind: it is told so, and the close is
                // queued like a finished one's
                try? await outbound.close(.policyViolation, reason: "fell behind the output")
                return true
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    session.touch()
                    switch message {
                    case .binary(let buffer):
                        let bytes = Data(buffer: buffer)
                        if tty {
                            await session.process?.write(bytes)
                        } else if let kind = bytes.first {
                            if kind == 0, stdin { await session.process?.write(Data(bytes.dropFirst())) }
                            if kind == 4 { session.process?.closeStdin() }
                        }
                    case .text(let text):
                        guard let message = try? Wire.decode(ExecMessage.self, from: Data(text.utf8)) else { continue }
                        if message.type == "resize", let c = message.cols, let r = message.rows {
                            session.process?.resize(rows: UInt16(clamping: r), cols: UInt16(clamping: c))
                        } else if message.type == "signal", let name = message.signal, let sig = SignalName.number(name)
                        {
                            session.process?.signal(sig)
                        }
                    }
                }
                return false  // the client went away
            }
            // ports something in the sprite listens on: those already open (unless sparse), then
            // each change (a client that went away is noticed by the other tasks; this one waits
            // to be cancelled)
            group.addTask {
                var known: [Int: String] = sparse ? await Blocking.run { runtime.listeningPorts() } : [:]
                while true {
                    let now = await Blocking.run { runtime.listeningPorts() }
                    for (port, address) in now.sorted(by: { $0.key < $1.key }) where known[port] == nil {
                        let text = String(
                            decoding: try Wire.encode(ExecMessage.port(opened: true, port, address: address)),
                            as: UTF8.self)
                        try? await outbound.write(.text(text))
                    }
                    for (port, address) in known.sorted(by: { $0.key < $1.key }) where now[port] == nil {
                        let text = String(
                            decoding: try Wire.encode(ExecMessage.port(opened: false, port, address: address)),
                            as: UTF8.self)
                        try? await outbound.write(.text(text))
                    }
                    known = now
                    try await Task.sleep(nanoseconds: 1_000_000_000)
                }
            }
            if let ms = dropAfterMs {
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(max(0, ms)) * 1_000_000)
                    throw HostError.internalError("injected stream drop")
                }
            }
            if try await group.next() == true {
                // the exit and the close are queued behind the output, maybe not yet written
                try await CloseHandshake.awaitReply(in: &group, timedOut: false)
            }
            group.cancelAll()
        }
    }
}
