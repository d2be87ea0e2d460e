import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SpriteSync

/// Test-only fault injection (`--test-hooks`): make matching requests answer a status, stall,
/// or drop the connection (an exec stream: after some milliseconds, or just before its exit
/// frame), a given number of times after letting some through; or add latency to every request.
final class FaultTable: Sendable {
    struct Rule: Sendable {
        var method: String?
        /// Matches when the request path contains this text.
        var path: String
        var status: Int?
        var retryAfter: Int?
        var stallSeconds: Double?
        /// Drop the connection after this many body bytes (HTTP) or milliseconds (exec streams).
        var drop: Int?
        /// An exec stream: the command runs to its end, then the connection drops instead of
        /// the exit frame (the client cannot know how it ended).
        var dropBeforeExit: Bool
        /// Matching requests still let through before the rule applies.
        var skip: Int
        var remaining: Int
    }

    private struct State {
        var rules: [Rule] = []
        var latency: TimeInterval = 0
        var counts: [String: Int] = [:]
    }
    private let state = Locked(State())
    var latency: TimeInterval { state.withLock { $0.latency } }

    /// `POST /_host/faults`.
    struct Configuration: Decodable {
        struct RuleSpec: Decodable {
            var method: String?
            var path: String?
            var status: Int?
            var retryAfter: Int?
            var stallSeconds: Double?
            var drop: Int?
            var dropBeforeExit: Bool?
            var skip: Int?
            var count: Int?

            enum CodingKeys: String, CodingKey {
                case method, path, status, drop, count, skip
                case retryAfter = "retry_after"
                case stallSeconds = "stall_seconds"
                case dropBeforeExit = "drop_before_exit"
            }
        }

        var latencyMs: Int?
        var clear: Bool?
        var rules: [RuleSpec]?

        enum CodingKeys: String, CodingKey {
            case clear, rules
            case latencyMs = "latency_ms"
        }
    }

    func configure(_ body: Configuration) {
        state.withLock { s in
            if let ms = body.latencyMs { s.latency = Double(max(0, min(ms, 60_000))) / 1000 }
            if body.clear == true {
                s.rules = []
                s.counts = [:]
            }
            for r in body.rules ?? [] {
                s.rules.append(
                    Rule(
                        method: r.method, path: r.path ?? "", status: r.status, retryAfter: r.retryAfter,
                        stallSeconds: r.stallSeconds.map { max(0, min($0, 3600)) }, drop: r.drop,
                        dropBeforeExit: r.dropBeforeExit ?? false, skip: max(0, r.skip ?? 0),
                        remaining: r.count ?? 1))
            }
        }
    }

    /// Takes one use of the first rule matching the request, if any.
    func take(method: String, path: String) -> Rule? {
        state.withLock { s in
            s.counts["\(method) \(path)", default: 0] += 1
            for i in s.rules.indices
            where s.rules[i].remaining > 0 && path.contains(s.rules[i].path)
                && (s.rules[i].method == nil || s.rules[i].method == method)
            {
                if s.rules[i].skip > 0 {
                    s.rules[i].skip -= 1
                    continue
                }
                s.rules[i].remaining -= 1
                return s.rules[i]
            }
            return nil
        }
    }

    /// How many requests arrived per `METHOD path` (tests count round trips with it).
    var requestCounts: [String: Int] {
        state.withLock { $0.counts }
    }
}

/// Applies the fault table before a request reaches its route.
struct FaultMiddleware<Context: RequestContext>: RouterMiddleware {
    let faults: FaultTable

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        if request.uri.path.hasPrefix("/_host/") { return try await next(request, context) }
        if faults.latency > 0 { try await Task.sleep(nanoseconds: UInt64(faults.latency * 1e9)) }
        // an upgrade refused here reaches the client as a bare 400; the client's plain request
        // asking why is answered by `RefusedUpgradeMiddleware`, in front of this one
        guard let rule = faults.take(method: request.method.rawValue, path: request.uri.path) else {
            return try await next(request, context)
        }
        if let stall = rule.stallSeconds { try await Task.sleep(nanoseconds: UInt64(stall * 1e9)) }
        if let status = rule.status {
            var error = HostError(
                status: .init(code: status), code: status == 429 ? "rate_limited" : "injected_fault",
                message: "injected fault \(status)")
            if let after = rule.retryAfter { error.extraHeaders[.retryAfter] = String(after) }
            throw error
        }
        if let drop = rule.drop, !RefusedUpgrades.isUpgrade(request) {
            // the route runs, but its answer is cut off: the client cannot know what happened
            let response = try await next(request, context)
            let partial = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: String(repeating: " ", count: max(1, drop))))
                throw HostError.internalError("injected connection drop")
            }
            return Response(status: response.status, headers: response.headers, body: partial)
        }
        return try await next(request, context)
    }
}
