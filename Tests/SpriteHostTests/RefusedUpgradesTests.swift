import Foundation
import Hummingbird
import NIOCore
import SpriteSync
import Testing

@testable import SpriteHost

/// A refused WebSocket upgrade reaches its client as a bare 400, so the client asks why on the
/// same URL over plain HTTP. The answer must be why the upgrade was refused, even when what
/// refused it has passed (a wake that failed once, a session limit met for a moment).
@Suite("sprite-host: why an upgrade was refused")
struct RefusedUpgradesTests {
    /// A route that refuses its first upgrade for a passing reason, then only says an upgrade
    /// is required (what sprite-host's exec route says to a plain request).
    static func withFlakyRoute(
        _ body: @Sendable (RouterClient<BasicRequestContext>, RefusedUpgrades) async throws -> Void
    ) async throws {
        let refused = RefusedUpgrades()
        let calls = Locked(0)
        let router = Router()
        // one router in both roles: what the host splits between its HTTP and WebSocket routers
        router.middlewares.add(RefusedUpgradeMiddleware(refused: refused, role: .answers))
        router.middlewares.add(RefusedUpgradeMiddleware(refused: refused, role: .records))
        router.get("/v1/sprites/box/exec") { request, _ -> Response in
            let first = calls.withLock { n in
                n += 1
                return n == 1
            }
            if first {
                throw HostError(status: .serviceUnavailable, code: "wake_failed", message: "the sprite did not wake")
            }
            if request.uri.query == nil { return Response(status: .ok) }
            throw HostError.badRequest("a WebSocket upgrade is required to run a command")
        }
        try await body(RouterClient(router), refused)
    }

    static let upgrade: HTTPFields = [.upgrade: "websocket"]

    @Test func theClientThatAsksIsToldWhyEvenOnceTheTroubleHasPassed() async throws {
        try await Self.withFlakyRoute { client, _ in
            let refused = try await client.execute(
                uri: "/v1/sprites/box/exec?cmd=true", method: .get, headers: Self.upgrade)
            #expect(refused.status == .serviceUnavailable)
            // a plain request of another kind on the path is not the one asking
            let list = try await client.execute(uri: "/v1/sprites/box/exec", method: .get)
            #expect(list.status == .ok)
            let asked = try await client.execute(uri: "/v1/sprites/box/exec?cmd=true", method: .get)
            #expect(asked.status == .serviceUnavailable)
            #expect(String(buffer: asked.body).contains("the sprite did not wake"), "\(String(buffer: asked.body))")
            // answered once: then the route speaks for itself again
            let again = try await client.execute(uri: "/v1/sprites/box/exec?cmd=true", method: .get)
            #expect(again.status == .badRequest)
        }
    }

    /// Only a GET upgrade refused with an error is remembered: a request of another method
    /// with an Upgrade header, or an exec upgrade without a query (whose URL is the listing's),
    /// leaves nothing for a later plain request to meet.
    @Test func onlyRefusedGetUpgradesAreRemembered() async throws {
        try await Self.withFlakyRoute { client, refused in
            var headers = Self.upgrade
            headers[.connection] = "upgrade"
            let post = try await client.execute(uri: "/v1/sprites/box/exec?cmd=true", method: .post, headers: headers)
            #expect(post.status == .notFound || post.status == .methodNotAllowed, "\(post.status)")
            let bare = try await client.execute(uri: "/v1/sprites/box/exec", method: .get, headers: Self.upgrade)
            #expect(bare.status == .serviceUnavailable)
            // neither left a reason: the listing is the route's own answer
            #expect(try await client.execute(uri: "/v1/sprites/box/exec", method: .get).status == .ok)
            #expect(
                refused.take(
                    for: Request(
                        head: .init(method: .get, scheme: nil, authority: nil, path: "/v1/sprites/box/exec?cmd=true"),
                        body: .init(buffer: ByteBuffer()))) == nil)
        }
    }

    @Test func aReasonIsKeptForAWhileAndTheirNumberIsBounded() {
        let store = RefusedUpgrades()
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let request = Request(
            head: .init(method: .get, scheme: nil, authority: nil, path: "/v1/sprites/box/exec?cmd=ls"),
            body: .init(buffer: ByteBuffer()))
        store.remember(.badRequest("gone"), for: request, now: t0)
        #expect(store.take(for: request, now: t0.addingTimeInterval(RefusedUpgrades.keptFor + 1)) == nil)
        for i in 0..<(RefusedUpgrades.limit + 10) {
            store.remember(.badRequest("reason \(i)"), for: request, now: t0)
        }
        // the oldest were let go; the newest are answered in the order they were refused
        #expect(store.take(for: request, now: t0)?.message == "reason 10")
        var answered = 1
        while store.take(for: request, now: t0) != nil { answered += 1 }
        #expect(answered == RefusedUpgrades.limit)
    }
}

/// What a child said, kept for an error message: its first words or its last.
@Suite("sprite-host: a child's words, bounded")
struct BoundedTextTests {
    @Test func theFirstOrTheLastBytesAreKeptAndTrimmed() {
        let first = BoundedText(keeping: .first, limit: 8), last = BoundedText(keeping: .last, limit: 8)
        for chunk in ["  abc", "defgh", "ijk\n"] {
            first.append(Data(chunk.utf8))
            last.append(Data(chunk.utf8))
        }
        #expect(first.text == "abcdef")
        #expect(last.text == "efghijk")
        #expect(BoundedText(keeping: .last).text.isEmpty)
    }
}
