import Foundation
import Hummingbird
import SpriteWire

/// A sprite's services: defined, started, stopped, signalled, their logs.
struct ServiceController {
    let state: HostState

    func addRoutes(to sprite: RouterGroup<HostRequestContext>) {
        sprite.get("services", use: list)
        sprite.get("services/:svc", use: get)
        sprite.put("services/:svc", use: define)
        sprite.delete("services/:svc", use: remove)
        sprite.post("services/:svc/start", use: start)
        sprite.post("services/:svc/restart", use: restart)
        sprite.post("services/:svc/stop", use: stop)
        sprite.get("services/:svc/logs", use: logs)
        sprite.post("services/signal", use: signal)
    }

    @Sendable func list(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let services = runtime.serviceList.map(\.wire)
        return state.config.sparseReplies ? try SparseReplies.services(services) : try jsonResponse(services)
    }

    @Sendable func get(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        guard let s = runtime.service(try Self.serviceName(context)) else {
            throw HostError.notFound("service not found")
        }
        return try jsonResponse(s.wire)
    }

    @Sendable func define(_ request: Request, context: HostRequestContext) async throws -> Response {
        let sprite = try context.named()
        let (name, runtime) = (sprite.name, sprite.runtime)
        let svc = try Self.serviceName(context)
        let duration = try Self.logWatch(request)
        var definition = try await decodeBody(request, as: ServiceDefinition.self)
        guard !definition.cmd.isEmpty else { throw HostError.badRequest("cmd is required") }
        try CStrings.check(
            [definition.cmd, definition.dir ?? ""] + (definition.args ?? [])
                + (definition.env ?? [:]).flatMap { [$0.key, $0.value] },
            what: "a service's command, arguments, environment and directory")
        // sparse: the Go SDK's service request has no env or dir
        if state.config.sparseReplies { (definition.env, definition.dir) = (nil, nil) }
        if let port = definition.httpPort, !(1...65535).contains(port) {
            throw HostError.badRequest("http_port must be an integer from 1 to 65535")
        }
        definition.dir = try definition.dir.map { try SpriteFiles.clean($0, base: "/home/sprite") }
        let spec = ServiceSpec(name: svc, definition)
        if let port = spec.httpPort,
            runtime.serviceList.contains(where: { $0.spec.httpPort != nil && $0.spec.name != svc })
        {
            throw HostError.conflict("another service already has an HTTP port configured (\(port))")
        }
        try state.update(name) { r in
            r.services.removeAll { $0.name == svc }
            r.services.append(spec)
        }
        let runner = runtime.defineService(spec)
        if runner.isRunning { await Blocking.run { runner.stop(timeout: 5) } }
        return Self.startStream(runner, duration: duration)
    }

    @Sendable func remove(_ request: Request, context: HostRequestContext) async throws -> Response {
        let sprite = try context.named()
        let (name, runtime) = (sprite.name, sprite.runtime)
        let svc = try Self.serviceName(context)
        guard let runner = runtime.removeService(svc) else { throw HostError.notFound("service not found") }
        await Blocking.run { runner.stop(timeout: 5) }
        try state.update(name) { $0.services.removeAll { $0.name == svc } }
        return Response(status: .noContent)
    }

    @Sendable func start(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        guard let runner = runtime.service(try Self.serviceName(context)) else {
            throw HostError.notFound("service not found")
        }
        return Self.startStream(runner, duration: try Self.logWatch(request))
    }

    @Sendable func restart(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        guard let runner = runtime.service(try Self.serviceName(context)) else {
            throw HostError.notFound("service not found")
        }
        let duration = try Self.logWatch(request)
        await Blocking.run { runner.stop(timeout: 5) }
        return Self.startStream(runner, duration: duration)
    }

    @Sendable func stop(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        guard let runner = runtime.service(try Self.serviceName(context)) else {
            throw HostError.notFound("service not found")
        }
        guard runner.isRunning || runner.shouldRun else { throw HostError.conflict("service not running") }
        let timeout = try Query(request).duration("timeout", max: 3600) ?? 10
        let (key, events) = runner.events()
        return ndjsonResponse { emit in
            defer { runner.stopListening(key) }
            let stopper = Task { await Blocking.run { runner.stop(timeout: timeout) } }
            for await event in events {
                try await emit(event)
                if event.type == "stopped" { break }
            }
            await stopper.value
            try await emit(StreamEvent(type: "complete", timestamp: nowMilliseconds()))
        }
    }

    @Sendable func logs(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        guard let runner = runtime.service(try Self.serviceName(context)) else {
            throw HostError.notFound("service not found")
        }
        let limit = try Query(request).int("lines", in: 1...10000) ?? 100
        let lines = runner.tail(lines: limit)
        return ndjsonResponse { emit in
            for line in lines {
                try await emit(StreamEvent(type: "stdout", data: String(line) + "\n", timestamp: nowMilliseconds()))
            }
            try await emit(
                StreamEvent(type: "complete", timestamp: nowMilliseconds(), logFiles: ["combined": runner.logFile]))
        }
    }

    @Sendable func signal(_ request: Request, context: HostRequestContext) async throws -> Response {
        let runtime = try context.named().runtime
        let body = try await decodeBody(request, as: ServiceSignalRequest.self)
        guard let runner = runtime.service(body.name) else {
            throw HostError.notFound("service not found")
        }
        guard let sig = SignalName.number(body.signal) else {
            throw HostError.badRequest("invalid signal")
        }
        guard runner.signal(sig) else { throw HostError.conflict("service not running") }
        return Response(status: .noContent)
    }

    /// The service named in the path, checked (it names a log file).
    static func serviceName(_ context: HostRequestContext) throws -> String {
        let svc = try context.param("svc")
        guard ServiceRunner.validName(svc) else {
            throw HostError.badRequest("invalid service name: use up to 64 letters, digits, '.', '_' and '-'")
        }
        return svc
    }

    /// How long a start streams the service's events (`duration`, default 2 s, at most an hour).
    static func logWatch(_ request: Request) throws -> TimeInterval {
        try Query(request).duration("duration", max: 3600) ?? 2
    }

    /// Starts a service and streams its events for `duration` seconds.
    static func startStream(_ runner: ServiceRunner, duration: TimeInterval) -> Response {
        let (key, events) = runner.events()
        return ndjsonResponse { emit in
            defer { runner.stopListening(key) }
            await Blocking.run { runner.start() }
            let deadline = Date().addingTimeInterval(duration)
            let watcher = Task {
                try? await Task.sleep(nanoseconds: UInt64(duration * 1e9))
                runner.stopListening(key)
            }
            for await event in events {
                try await emit(event)
                if Date() > deadline { break }
            }
            watcher.cancel()
            try await emit(
                StreamEvent(type: "complete", timestamp: nowMilliseconds(), logFiles: ["combined": runner.logFile]))
        }
    }
}
