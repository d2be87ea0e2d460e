import Foundation
import Hummingbird

/// Services (§7.1) and the test hooks of the host.
enum ServiceRoutes {
    static func add(to router: Router<BasicRequestContext>, state: HostState) {
        router.get("/v1/sprites/:name/services") { _, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            return jsonResponse(runtime.serviceList.map(\.json))
        }

        router.get("/v1/sprites/:name/services/:svc") { _, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            guard let s = runtime.service(try context.param("svc")) else { throw HostError.notFound("service not found") }
            return jsonResponse(s.json)
        }

        router.put("/v1/sprites/:name/services/:svc") { request, context -> Response in
            let name = try context.param("name")
            let svc = try context.param("svc")
            let (_, runtime) = try state.get(name)
            let body = try await bodyJSON(request)
            guard let cmd = body["cmd"] as? String, !cmd.isEmpty else { throw HostError.badRequest("cmd is required") }
            let spec = ServiceSpec(name: svc, cmd: cmd, args: body["args"] as? [String] ?? [],
                                   needs: body["needs"] as? [String] ?? [], httpPort: body["http_port"] as? Int,
                                   env: body["env"] as? [String: String], dir: body["dir"] as? String)
            if let port = spec.httpPort, runtime.serviceList.contains(where: { $0.spec.httpPort != nil && $0.spec.name != svc }) {
                throw HostError.conflict("another service already has an HTTP port configured (\(port))")
            }
            try state.update(name) { r in
                r.services.removeAll { $0.name == svc }
                r.services.append(spec)
            }
            let runner = runtime.defineService(spec)
            if runner.isRunning { runner.stop(timeout: 5) }
            return startStream(runner, duration: parseDuration(Query(request)["duration"]) ?? 2)
        }

        router.delete("/v1/sprites/:name/services/:svc") { _, context -> Response in
            let name = try context.param("name")
            let svc = try context.param("svc")
            let (_, runtime) = try state.get(name)
            guard let runner = runtime.removeService(svc) else { throw HostError.notFound("service not found") }
            runner.stop(timeout: 5)
            try state.update(name) { $0.services.removeAll { $0.name == svc } }
            return Response(status: .noContent)
        }

        router.post("/v1/sprites/:name/services/:svc/start") { request, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            guard let runner = runtime.service(try context.param("svc")) else { throw HostError.notFound("service not found") }
            return startStream(runner, duration: parseDuration(Query(request)["duration"]) ?? 2)
        }

        router.post("/v1/sprites/:name/services/:svc/restart") { request, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            guard let runner = runtime.service(try context.param("svc")) else { throw HostError.notFound("service not found") }
            runner.stop(timeout: 5)
            return startStream(runner, duration: parseDuration(Query(request)["duration"]) ?? 2)
        }

        router.post("/v1/sprites/:name/services/:svc/stop") { request, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            guard let runner = runtime.service(try context.param("svc")) else { throw HostError.notFound("service not found") }
            guard runner.isRunning || runner.shouldRun else { throw HostError.conflict("service not running") }
            let timeout = parseDuration(Query(request)["timeout"]) ?? 10
            let (key, events) = runner.events()
            return ndjsonResponse { emit in
                defer { runner.stopListening(key) }
                let stopper = Task.detached { runner.stop(timeout: timeout) }
                for await event in events {
                    try await emit(event)
                    if event["type"] as? String == "stopped" { break }
                }
                await stopper.value
                try await emit(["type": "complete", "timestamp": Int(Date().timeIntervalSince1970 * 1000)])
            }
        }

        router.get("/v1/sprites/:name/services/:svc/logs") { request, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            guard let runner = runtime.service(try context.param("svc")) else { throw HostError.notFound("service not found") }
            let text = (try? String(contentsOfFile: runner.logFile, encoding: .utf8)) ?? ""
            let limit = Int(Query(request)["lines"] ?? "") ?? 100
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(limit)
            return ndjsonResponse { emit in
                for line in lines where !line.isEmpty {
                    try await emit(["type": "stdout", "data": String(line) + "\n",
                                    "timestamp": Int(Date().timeIntervalSince1970 * 1000)])
                }
                try await emit(["type": "complete", "log_files": ["combined": runner.logFile],
                                "timestamp": Int(Date().timeIntervalSince1970 * 1000)])
            }
        }

        router.post("/v1/sprites/:name/services/signal") { request, context -> Response in
            let (_, runtime) = try state.get(try context.param("name"))
            let body = try await bodyJSON(request)
            guard let runner = runtime.service(body["name"] as? String ?? "") else {
                throw HostError.notFound("service not found")
            }
            guard let sig = SignalName.number(body["signal"] as? String ?? "") else {
                throw HostError.badRequest("invalid signal")
            }
            guard runner.signal(sig) else { throw HostError.conflict("service not running") }
            return Response(status: .noContent)
        }
    }

    /// Starts a service and streams its events for `duration` seconds.
    static func startStream(_ runner: ServiceRunner, duration: TimeInterval) -> Response {
        let (key, events) = runner.events()
        return ndjsonResponse { emit in
            defer { runner.stopListening(key) }
            runner.start()
            let deadline = Date().addingTimeInterval(duration)
            let watcher = Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, duration) * 1e9))
                runner.stopListening(key)
            }
            for await event in events {
                try await emit(event)
                if Date() > deadline { break }
            }
            watcher.cancel()
            try await emit(["type": "complete", "log_files": ["combined": runner.logFile],
                            "timestamp": Int(Date().timeIntervalSince1970 * 1000)])
        }
    }
}
