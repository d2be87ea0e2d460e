import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import SpriteWire

/// Parameters of a new exec (Sprites API), checked: a malformed number is a 400.
struct ExecParameters {
    var command: [String]
    var path: String?
    var environment: [String]
    var directory: String
    var tty: Bool
    var rows: UInt16
    var cols: UInt16
    var stdin: Bool
    var maxRunAfterDisconnect: TimeInterval?

    /// Longest a detached non-TTY command may be kept (a week).
    static let longestDetachedRun: TimeInterval = 7 * 86400

    init(_ q: Query) throws {
        command = q.all("cmd")
        path = q["path"].flatMap { $0.isEmpty ? nil : $0 }
        if command.isEmpty && path == nil { command = ["bash"] }
        environment = q.all("env")
        guard command.count <= 4096, environment.count <= 1024 else {
            throw HostError.badRequest("too many cmd or env parameters")
        }
        tty = q.bool("tty") ?? false
        // 0 (what a client without a terminal sends) means the default
        rows = UInt16(try q.int("rows", in: 0...1000).flatMap { $0 == 0 ? nil : $0 } ?? 24)
        cols = UInt16(try q.int("cols", in: 0...1000).flatMap { $0 == 0 ? nil : $0 } ?? 80)
        stdin = q.bool("stdin") ?? tty
        let limit = try q.duration("max_run_after_disconnect", max: Self.longestDetachedRun)
        maxRunAfterDisconnect = limit.map { $0 == 0 ? nil : $0 } ?? (tty ? nil : 10)
        directory = try SpriteFiles.clean(q["dir"] ?? "/home/sprite", base: "/home/sprite")
        // refused before a WebSocket upgrade, as an HTTP answer
        try CStrings.check(
            command + [path ?? "", directory] + environment, what: "a command, its environment and its directory")
    }

    /// Checks, inside the sprite, that the working directory exists. The sandbox's own mount
    /// points always do, and cost no look.
    func checkDirectory(_ runtime: SpriteRuntime) async throws {
        guard !["/", "/home/sprite", "/tmp"].contains(directory) else { return }
        do {
            _ = try await SpriteFiles(runtime: runtime).run(["isdir", directory], path: directory)
        } catch let error as HostError where error.errno != nil {
            throw HostError.badRequest("working directory \(directory) does not exist in the sprite")
        }
    }
}

struct ExecController {
    func addRoutes(to sprite: RouterGroup<HostRequestContext>) {
        sprite.get("exec", use: sessions)
        sprite.head("exec", use: probe)
        sprite.get("exec/:id", use: session)
        sprite.post("exec/:id/kill", use: kill)
        sprite.post("exec", use: run)
    }

    @Sendable func sessions(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let q = Query(request)
        if let id = q["id"], runtime.session(id) == nil {
            throw HostError.notFound("session not found: \(id)")
        }
        // HummingbirdWebSocket answers every declined upgrade with an empty 400; the same URL
        // over plain HTTP says why, so clients can ask after a failed handshake.
        if q["cmd"] != nil || q["path"] != nil {
            try await ExecParameters(q).checkDirectory(runtime)
            try await Blocking.run { try runtime.checkRoomForSession() }
            throw HostError.badRequest("a WebSocket upgrade is required to run a command")
        }
        return try jsonResponse(ExecSessionList(runtime.sessionList.map(\.entry)))
    }

    @Sendable func probe(_ request: Request, context: HostRequestContext) async throws -> Response {
        _ = try context.named()
        return Response(status: .ok)
    }

    @Sendable func session(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let id = try context.param("id")
        guard let session = runtime.session(id) else { throw HostError.notFound("session not found: \(id)") }
        return try jsonResponse(session.entry)
    }

    @Sendable func kill(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let id = try context.param("id")
        guard let session = runtime.session(id), let process = session.process else {
            throw HostError(status: .gone, code: "gone", message: "session \(id) has already exited")
        }
        let q = Query(request)
        let body = try await decodeBody(request, as: KillRequest.self, empty: KillRequest())
        let name = q["signal"] ?? body.signal ?? "SIGTERM"
        guard let sig = SignalName.number(name) else {
            throw HostError.badRequest("invalid signal \(name.prefix(20))")
        }
        if let seconds = body.timeout, !(0...3600).contains(seconds) {
            throw HostError.badRequest("timeout must be an integer from 0 to 3600")
        }
        let timeout = try q.duration("timeout", max: 3600) ?? Double(body.timeout ?? 10)
        return ndjsonResponse { emit in
            try await emit(
                StreamEvent(
                    type: "signal", message: "Signaling \(name) to process group \(id)",
                    pid: Int(process.pid), signal: name))
            process.signal(sig)
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
            if process.isRunning {
                try await emit(StreamEvent(type: "timeout", message: "Process did not exit; sending SIGKILL"))
                process.signal(SIGKILL)
                while process.isRunning { try await Task.sleep(nanoseconds: 20_000_000) }
                try await emit(StreamEvent(type: "killed", message: "Process killed"))
            } else {
                try await emit(StreamEvent(type: "exited", message: "Process exited"))
            }
            try await emit(StreamEvent(type: "complete", exitCode: Int(process.exitCode ?? 0)))
        }
    }

    /// HTTP exec: the body is stdin when stdin=true; the answer is 01/02 chunks, then
    /// 03 <code>. stdin streams into the process while its output streams back.
    @Sendable func run(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        var p = try ExecParameters(Query(request))
        p.tty = false
        try await p.checkDirectory(runtime)
        let params = p
        let (session, owner) = try await Blocking.run {
            try runtime.startSession(
                command: params.command, path: params.path, environment: params.environment,
                directory: params.directory, tty: false, rows: 24, cols: 80,
                maxRunAfterDisconnect: params.maxRunAfterDisconnect)
        }
        let feedsStdin = p.stdin
        let channel = context.channel
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream"],
            body: ResponseBody { w in
                var pacing = ReplyPacing(channel: channel)
                runtime.connect()
                defer {
                    runtime.disconnect()
                    session.unsubscribe(owner.key)
                }
                let feeder = Task {
                    if feedsStdin, let process = session.process {
                        for try await chunk in request.body {
                            guard await process.write(Data(buffer: chunk)) else { break }
                        }
                    }
                    session.process?.closeStdin()
                }
                defer { feeder.cancel() }
                while let event = await owner.next() {
                    switch event {
                    case .output(let stream, let data):
                        var buf = ByteBufferAllocator().buffer(capacity: data.count + 1)
                        buf.writeInteger(stream.rawValue)
                        buf.writeBytes(data)
                        try await pacing.write(buf, to: &w)
                    case .exit(let code):
                        try await w.write(ByteBuffer(bytes: [3, UInt8(truncatingIfNeeded: code)]))
                    }
                }
                try await w.finish(nil)
            })
    }
}
