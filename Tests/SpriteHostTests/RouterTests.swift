import Foundation
import Hummingbird
import NIOCore
import SpriteSync
import SpritesAPI
import Testing

@testable import SpriteHost

/// sprite-host's routes in-process, each request handed to the router's responder
/// (`RouterClient`): no socket, no binary, no sandbox started (what needs a running sprite is tested end to end in
/// GitSpriteTests). Each test has a host of its own in a temporary directory.
@Suite("sprite-host routes, in-process")
struct RouterTests {
    static let token = "router-test-token"
    static let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

    typealias Client = RouterClient<HostRequestContext>

    /// A host over a fresh state directory, its router under test, shut down afterwards.
    static func withHost(
        sparse: Bool = false, hooks: Bool = false,
        _ body: @Sendable (Client, HostState) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let state = try makeState(root: root, hooks: hooks, sparse: sparse)
        let client = Client(HostServer.buildRouter(state: state, faults: hooks ? FaultTable() : nil))
        do {
            try await body(client, state)
        } catch {
            await Blocking.run { state.shutdown() }
            throw error
        }
        await Blocking.run { state.shutdown() }
    }

    /// A host in this process that starts no sandbox, so it limits no resources: a host that
    /// does moves the process it runs in into a cgroup of its own, and every test of this
    /// process (and every binary it starts) would then run in that group, or in one nested
    /// deeper for each host made in parallel, until a sandbox could no longer join it (seen in CI).
    static func makeState(root: String, hooks: Bool = false, sparse: Bool = false) throws -> HostState {
        let before = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        let state = try HostState(
            config: HostConfiguration(
                root: root, token: token, testHooks: hooks, sparseReplies: sparse, limitsResources: false))
        #expect(try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) == before)
        return state
    }

    @Test func aHostNeverMakesItsGroupsInsideAnotherHostsGroup() {
        let cases = [
            ("/", "/"), ("/user.slice/session-1.scope", "/user.slice/session-1.scope"),
            ("/ci/sprite-host-1a2b3c4d/host", "/ci"),
            ("/ci/sprite-host-1a2b3c4d/host/sprite-host-99aa00ff/host/", "/ci"),
            ("/sprite-host-1a2b3c4d/host", "/"),
            // only a host's leaf is left: a group merely named so, or a sprite's group, stays
            ("/ci/sprite-host-1a2b3c4d", "/ci/sprite-host-1a2b3c4d"), ("/ci/host", "/ci/host"),
            ("/ci/sprite-host-1a2b3c4d/app-main", "/ci/sprite-host-1a2b3c4d/app-main"),
        ]
        for (path, home) in cases { #expect(CgroupTree.outsideHostGroups(path) == home, "\(path)") }
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    static func body(_ object: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
    }

    @discardableResult
    static func create(_ client: Client, _ name: String, labels: [String] = []) async throws -> Client.Answer {
        try await client.execute(
            uri: "/v1/sprites", method: .post, headers: auth, body: body(["name": name, "labels": labels]))
    }

    @Test func everyRouteNeedsTheTokenAndEveryAnswerNamesTheVersion() async throws {
        try await Self.withHost { client, _ in
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: Self.token]] {
                let refused = try await client.execute(uri: "/v1/sprites", method: .get, headers: headers)
                #expect(refused.status == .unauthorized)
                #expect(try Self.json(refused.body)["error"] as? String == "unauthorized")
                #expect(refused.headers[.init("Sprite-Version")!] != nil)
            }
            let ok = try await client.execute(uri: "/v1/sprites", method: .get, headers: Self.auth)
            #expect(ok.status == .ok)
            #expect(ok.headers[.init("Sprite-Version")!] != nil)
        }
    }

    @Test func aSpriteIsCreatedReadUpdatedAndListedPageByPage() async throws {
        try await Self.withHost { client, _ in
            let created = try await Self.create(client, "alpha-1", labels: ["git-sprite"])
            #expect(created.status == .created)
            let sprite = try Self.json(created.body)
            #expect(sprite["name"] as? String == "alpha-1")
            #expect(sprite["status"] as? String == "cold")
            #expect(sprite["labels"] as? [String] == ["git-sprite"])
            try await Self.create(client, "alpha-2")
            try await Self.create(client, "beta-1")

            let again = try await Self.create(client, "alpha-1")
            #expect(again.status == .conflict)
            #expect(try Self.json(again.body)["error"] as? String == "sprite_exists")

            let first = try Self.json(
                try await client.execute(
                    uri: "/v1/sprites?prefix=alpha&max_results=1", method: .get, headers: Self.auth
                )
                .body)
            #expect((first["sprites"] as? [[String: Any]])?.map { $0["name"] as? String } == ["alpha-1"])
            #expect(first["has_more"] as? Bool == true)
            let token = try #require(first["next_continuation_token"] as? String)
            let second = try Self.json(
                try await client.execute(
                    uri: "/v1/sprites?prefix=alpha&max_results=1&continuation_token=\(token)", method: .get,
                    headers: Self.auth
                ).body)
            #expect((second["sprites"] as? [[String: Any]])?.map { $0["name"] as? String } == ["alpha-2"])
            #expect(second["has_more"] as? Bool == false)

            let updated = try await client.execute(
                uri: "/v1/sprites/alpha-2", method: .put, headers: Self.auth, body: Self.body(["labels": ["x"]]))
            #expect(updated.status == .ok)
            #expect(try Self.json(updated.body)["labels"] as? [String] == ["x"])
            let read = try await client.execute(uri: "/v1/sprites/alpha-2", method: .get, headers: Self.auth)
            #expect(try Self.json(read.body)["labels"] as? [String] == ["x"])
        }
    }

    @Test(arguments: [
        ("POST", "/v1/sprites", #"{"name": "Not_A_Label"}"#),
        ("POST", "/v1/sprites", #"{"name": "ok", "config": {"cpus": 99}}"#),
        ("POST", "/v1/sprites", #"{"name": "ok", "config": {"cpus": 1.5}}"#),
        ("POST", "/v1/sprites", "not json"),
        ("POST", "/v1/sprites", #"{"name": "ok", "url_settings": {"auth": "everyone"}}"#),
        ("GET", "/v1/sprites?max_results=0", ""),
        ("GET", "/v1/sprites?max_results=x", ""),
    ])
    func badInputIsA400ThatSaysWhy(method: String, uri: String, body: String) async throws {
        try await Self.withHost { client, state in
            let answer = try await client.execute(
                uri: uri, method: .init(method)!, headers: Self.auth,
                body: body.isEmpty ? nil : ByteBuffer(string: body))
            #expect(answer.status == .badRequest)
            let message = try Self.json(answer.body)["message"] as? String ?? ""
            #expect(!message.isEmpty)
            #expect(state.all.isEmpty, "a refused create made a sprite")
        }
    }

    @Test func anUnknownSpriteIsA404OnEveryResource() async throws {
        try await Self.withHost { client, _ in
            for (method, uri) in [
                ("GET", "/v1/sprites/nobody"), ("PUT", "/v1/sprites/nobody"), ("DELETE", "/v1/sprites/nobody"),
                ("GET", "/v1/sprites/nobody/policy/network"), ("GET", "/v1/sprites/nobody/services"),
                ("GET", "/v1/sprites/nobody/checkpoints"), ("GET", "/v1/sprites/nobody/exec"),
            ] {
                let answer = try await client.execute(
                    uri: uri, method: .init(method)!, headers: Self.auth, body: ByteBuffer(string: "{}"))
                #expect(answer.status == .notFound, "\(method) \(uri)")
                #expect(try Self.json(answer.body)["error"] as? String == "not_found", "\(method) \(uri)")
            }
        }
    }

    /// `:name` is resolved once per request by the sprite's route group (`SpriteMiddleware`):
    /// reading or changing a sprite's record, or listing sprites, never wakes it; a call to what
    /// it holds does.
    @Test func onlyACallToWhatASpriteHoldsWakesIt() async throws {
        try await Self.withHost { client, _ in
            try await Self.create(client, "sleeper")
            func status() async throws -> String? {
                try Self.json(
                    try await client.execute(uri: "/v1/sprites/sleeper", method: .get, headers: Self.auth).body)[
                        "status"] as? String
            }
            let relabelled = try await client.execute(
                uri: "/v1/sprites/sleeper", method: .put, headers: Self.auth, body: Self.body(["labels": ["x"]]))
            #expect(relabelled.status == .ok)
            #expect(try await client.execute(uri: "/v1/sprites", method: .get, headers: Self.auth).status == .ok)
            #expect(try await status() == "cold")
            let listed = try await client.execute(
                uri: "/v1/sprites/sleeper/checkpoints", method: .get, headers: Self.auth)
            #expect(listed.status == .ok)
            #expect(try await status() == "running")
        }
    }

    @Test func sparseRepliesAnswerOnlyWhatTheAPIDocuments() async throws {
        try await Self.withHost(sparse: true) { client, _ in
            try await Self.create(client, "alpha", labels: ["git-sprite"])
            let list = try Self.json(
                try await client.execute(uri: "/v1/sprites", method: .get, headers: Self.auth).body)
            let entry = try #require((list["sprites"] as? [[String: Any]])?.first)
            #expect(Set(entry.keys) == ["name", "org_slug", "updated_at"])
            let again = try await Self.create(client, "alpha")
            #expect(again.status == .badRequest)
            #expect((try Self.json(again.body)["errors"] as? [String])?.isEmpty == false)
        }
    }

    @Test func aNetworkPolicyIsCheckedBeforeItIsKept() async throws {
        try await Self.withHost { client, _ in
            try await Self.create(client, "alpha")
            let uri = "/v1/sprites/alpha/policy/network"
            let both = try await client.execute(
                uri: uri, method: .post, headers: Self.auth,
                body: Self.body(["rules": [["domain": "example.com", "include": "defaults", "action": "allow"]]]))
            #expect(both.status == .badRequest)
            let good = try await client.execute(
                uri: uri, method: .post, headers: Self.auth,
                body: Self.body(["rules": [["domain": "example.com", "action": "allow"]]]))
            #expect(good.status.code < 300)
            let read = try Self.json(try await client.execute(uri: uri, method: .get, headers: Self.auth).body)
            let rules = try #require(read["rules"] as? [[String: Any]])
            #expect(rules.count == 1 && rules[0]["domain"] as? String == "example.com")
        }
    }

    @Test func injectedFaultsAnswerMatchingRequestsTheirCountThenStop() async throws {
        try await Self.withHost(hooks: true) { client, _ in
            let rules: [String: Any] = [
                "rules": [["method": "GET", "path": "/v1/sprites", "status": 503, "count": 2, "skip": 1]]
            ]
            let set = try await client.execute(
                uri: "/_host/faults", method: .post, headers: Self.auth, body: Self.body(rules))
            #expect(set.status == .noContent)
            var statuses: [Int] = []
            for _ in 0..<4 {
                statuses.append(
                    try await client.execute(uri: "/v1/sprites", method: .get, headers: Self.auth).status.code)
            }
            #expect(statuses == [200, 503, 503, 200])
            let counts = try Self.json(
                try await client.execute(uri: "/_host/requests", method: .get, headers: Self.auth).body)
            #expect(counts["GET /v1/sprites"] as? Int == 4, "\(counts)")
        }
    }

    /// A refused upgrade reaches a client as a bare 400, and the client asks why on the same
    /// path over plain HTTP: two upgrades refused at once (pushes run side by side) each get
    /// the fault's answer, not one of them the route's "an upgrade is required". The upgrades
    /// go to the WebSocket router and the questions to the HTTP router, as on the wire.
    @Test func upgradesRefusedAtOnceEachGetTheirAnswerWhenTheyAskWhy() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let state = try Self.makeState(root: root, hooks: true)
        defer { state.shutdown() }
        let faults = FaultTable()
        let client = Client(HostServer.buildRouter(state: state, faults: faults))
        let upgrades = RouterClient(HostServer.buildWebSocketRouter(state: state, faults: faults))
        _ = try await Self.create(client, "box")
        let path = "/v1/sprites/box/exec"
        let rules: [String: Any] = ["rules": [["method": "GET", "path": path, "status": 503, "count": 2]]]
        let set = try await client.execute(
            uri: "/_host/faults", method: .post, headers: Self.auth, body: Self.body(rules))
        #expect(set.status == .noContent)
        var upgrade = Self.auth
        upgrade[.upgrade] = "websocket"
        for _ in 0..<2 {
            let refused = try await upgrades.execute(uri: path + "?cmd=true", method: .get, headers: upgrade)
            #expect(refused.status.code == 503)
        }
        var asked: [Int] = []
        for _ in 0..<3 {
            asked.append(
                try await client.execute(uri: path + "?cmd=true", method: .get, headers: Self.auth).status.code)
        }
        // both refusals explained; then the route's own answer to a plain request (a 400,
        // or a 500 when waking the sprite fails on a busy machine), never the fault's again
        #expect(asked.prefix(2) == [503, 503] && asked[2] != 503, "\(asked)")
        // the listing of sessions shares the path, and never meets a refusal
        #expect(try await client.execute(uri: path, method: .get, headers: Self.auth).status == .ok)
    }

    @Test func theTestHooksAreNotThereUnlessAsked() async throws {
        try await Self.withHost { client, _ in
            let answer = try await client.execute(
                uri: "/_host/faults", method: .post, headers: Self.auth, body: ByteBuffer(string: "{}"))
            #expect(answer.status == .notFound)
        }
    }

    /// `.live`: a real socket, and the real client. A retry waits what the host asked for, on
    /// the clock the client was given (git-sprite gives it `Context.clock`), not the wall's.
    @Test func theClientWaitsWhatTheHostAsksOnTheClockItIsGiven() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let state = try Self.makeState(root: root, hooks: true)
        defer { state.shutdown() }
        let router = HostServer.buildRouter(state: state, faults: FaultTable())
        let client = Client(router)
        try await Client.live(router) { port in
            let rules: [String: Any] = [
                "rules": [["method": "GET", "path": "/v1/sprites", "status": 429, "retry_after": 30, "count": 2]]
            ]
            let set = try await client.execute(
                uri: "/_host/faults", method: .post, headers: Self.auth, body: Self.body(rules))
            #expect(set.status == .noContent)
            let api = SpritesClient(baseURL: "http://127.0.0.1:\(port)", token: Self.token)
            let waits = Locked<[TimeInterval]>([])
            api.sleep = { seconds in waits.withLock { $0.append(seconds) } }
            let sprites = try await Blocking.run { try api.listSprites() }
            #expect(sprites.isEmpty)
            #expect(waits.value == [30, 30])
        }
    }
}
