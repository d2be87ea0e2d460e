import Foundation
import SpriteHTTP
import SpriteWire
import TestSupport
import Testing

@testable import SpritesAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The wire types against the shapes sprites-api.md documents (the official SDKs' view), and
/// through a round trip: what sprite-host writes is what the client reads.
@Suite("wire model", .offThePool)
struct WireTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try Wire.decode(type, from: Data(json.utf8))
    }

    static func roundTrip<T: Codable & Equatable>(_ value: T) throws {
        #expect(try Wire.decode(T.self, from: Wire.encode(value)) == value)
    }

    /// Query values and path segments are encoded byte for byte as Foundation's
    /// `addingPercentEncoding` encodes them with the unreserved characters kept.
    @Test func valuesArePercentEncodedAsFoundationEncodesThem() {
        let values = [
            "", "plain", "a b", "a+b&c=d#e?f%g", "feature/x", "../..", "~user.name_1-2", "é", "日本語", "🙂",
            "tab\there", "new\nline", "nul\u{0}byte", "\"quoted\" 'single' `tick`", "[]{}|\\^",
        ]
        let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        for value in values {
            let query = value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: unreserved + "/"))
            let segment = value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: unreserved))
            #expect(SpritesClient.encode(value) == query, "\(value)")
            #expect(SpritesClient.encodePathSegment(value) == segment, "\(value)")
        }
    }

    @Test func theDocumentedSpriteObjectDecodesAndUnknownStatusesSurvive() throws {
        let sprite = try Self.decode(
            Sprite.self,
            """
            {"id":"01234567-89ab-cdef-0123-456789abcdef","name":"my-sprite","organization":"my-org",
             "url":"https://my-sprite-abc12.sprites.app","url_settings":{"auth":"sprite"},
             "status":"cold","created_at":"2026-01-13T10:30:00Z","updated_at":"2026-01-13T10:30:00Z",
             "config":{"ram_mb":8192,"cpus":8,"storage_gb":100},"some_future_field":1}
            """)
        #expect(sprite.name == "my-sprite" && sprite.status == .cold && sprite.config?.ramMB == 8192)
        #expect(try Self.decode(Sprite.self, #"{"name":"x","status":"hibernated"}"#).status == .other("hibernated"))
        try Self.roundTrip(sprite)
    }

    @Test func unknownTimesAreSentAsNullAndAListEndsWithANullToken() throws {
        let text = String(decoding: try Wire.encode(Sprite(name: "x")), as: UTF8.self)
        for key in ["last_running_at", "last_warming_at", "last_started_at", "last_active_at"] {
            #expect(text.contains("\"\(key)\":null"), "\(text)")
        }
        let list = SpriteList(
            sprites: [], hasMore: false, nextContinuationToken: nil,
            org: OrganizationCounts(name: "o", running: 1, warm: 2, cold: 3, runningLimit: nil, warmLimit: nil))
        let listed = String(decoding: try Wire.encode(list), as: UTF8.self)
        #expect(listed.contains("\"next_continuation_token\":null") && listed.contains("\"running\":1"))
    }

    @Test func execMessagesReadAsTheSDKsSendThem() throws {
        let info = try Self.decode(
            ExecSessionInfo.self,
            """
            {"type":"session_info","session_id":"20","command":"bash","created":1785904678,"cols":0,"rows":0,"is_owner":true,"tty":true}
            """)
        #expect(info.sessionID == "20" && info.tty == true && info.isOwner == true)
        // older servers: a numeric id
        #expect(try Self.decode(ExecSessionInfo.self, #"{"type":"session_info","session_id":20}"#).sessionID == "20")
        #expect(try Self.decode(ExecMessage.self, #"{"type":"exit","exit_code":0}"#).exitStatus == 0)
        #expect(try Self.decode(ExecMessage.self, #"{"type":"exit","exit_code":99999999999}"#).exitStatus == 255)
        #expect(
            try Self.decode(ExecMessage.self, #"{"type":"resize","cols":120,"rows":40}"#)
                == .resize(rows: 40, cols: 120))
        #expect(try Self.decode(ExecMessage.self, #"{"type":"signal","signal":"TERM"}"#) == .signal("TERM"))
        let quoted = String(decoding: try Wire.encode(ExecMessage.signal("A\"B")), as: UTF8.self)
        #expect(try Self.decode(ExecMessage.self, quoted).signal == "A\"B")
        try Self.roundTrip(info)
    }

    /// The exec stream's text messages are read without Codable when they are flat objects of
    /// the expected types (FlatJSON), and the event is the one Codable would give: the
    /// messages servers send take the quick way; anything else goes through Codable.
    @Test func execTextMessagesReadQuicklySayWhatCodableSays() throws {
        let sent = [
            #"{"type":"session_info","session_id":"20","command":"bash","created":1785904678,"cols":0,"rows":0,"is_owner":true,"tty":true}"#,
            #"{"type":"session_info","session_id":20}"#, #"{"type":"exit","exit_code":0}"#,
            #"{"type":"exit","exit_code":7.0}"#, #"{"type":"exit","exit_code":-1}"#, #"{"type":"exit"}"#,
            #"{"type":"exit","exit_code":0e-400}"#, #"{"type":"exit","exit_code":-0.0}"#,
            #"{"type":"exit","exit_code":99999999999}"#, #"{"type":"exit","exit_code":2.5}"#,
            #"{"address":"0.0.0.0","port":8080,"type":"port_opened"}"#, #"{"type":"port_closed","port":0}"#,
            #" { "type" : "port_closed" , "port" : 9 , "address" : null } "#, #"{"type":"resize","cols":1,"rows":2}"#,
            #"{"type":"session_info","session_id":"\u00e9\ud83d\ude00\n\"","tty":false}"#,
            #"{"type":"something_new","nested_later":1}"#,
        ]
        for text in sent {
            let quick = try #require(ExecEvent.quickly(text), "\(text) took the slow way")
            #expect(quick == ExecEvent.throughCodable(text), "\(text)")
            #expect(ExecEvent.decode(.text(text), tty: false) == quick)
        }
        let escaped = try #require(sent.first { $0.contains(#"\ud83d"#) })
        #expect(ExecEvent.quickly(escaped) == .some(.info(sessionID: "é😀\n\"", tty: false)))
        // what FlatJSON leaves to Codable, and what Codable then says
        let other = [
            #"{"type":"exit","exit_code":"1"}"#, #"{"type":"exit","exit_code":1e999}"#, #"{"type":1}"#,
            #"{"type":"exit","exit_code":1e-400}"#, #"{"type":"port_opened","port":1,"exit_code":-2e-324}"#,
            #"{"type":"port_opened","port":80.0}"#, #"{"type":"exit","exit_code":0,"exit_code":3}"#,
            #"{"type":"session_info","session_id":{"n":1}}"#, #"{"type":"session_info","tty":1,"session_id":"a"}"#,
            #"{"type":"exit" "exit_code":0}"#, #"{"type":"exit","exit_code":01}"#, #"{"type":"\ud800"}"#,
            #"{"type":"session_info","session_id":"a"} x"#, "[]", "", #"{"type":"exit","exit_code":-}"#,
        ]
        for text in other {
            #expect(ExecEvent.quickly(text) == nil, "\(text) was read quickly")
            #expect(ExecEvent.decode(.text(text), tty: false) == ExecEvent.throughCodable(text), "\(text)")
        }
    }

    /// The exec upgrade's capability list: names between commas, HTTP's spaces and tabs around
    /// them dropped, empty ones too, inner ones kept.
    @Test func theCapabilityHeaderIsReadAsAListOfNames() {
        #expect(ExecStream.list("signal") == ["signal"])
        #expect(ExecStream.list(" signal ,\tresize\t,, ,x y") == ["signal", "resize", "x y"])
        #expect(ExecStream.list("") == [] && ExecStream.list(" , ") == [])
        #expect(ExecStream.list("é,signal") == ["é", "signal"])
    }

    @Test func sessionsPoliciesServicesCheckpointsFilesAndErrors() throws {
        let sessions = try Self.decode(
            ExecSessionList.self,
            """
            {"count":1,"sessions":[{"id":"1847","command":"/usr/bin/sleep 654","workdir":"/home/sprite",
              "created":"2026-08-05T10:00:00Z","last_activity":"2026-08-05T10:05:00Z",
              "bytes_per_second":0,"is_active":false,"tty":false}]}
            """)
        #expect(sessions.sessions.first?.id == "1847")
        let policy = try Self.decode(
            PolicyDocument.self,
            """
            {"rules":[{"include":"defaults"},{"domain":"*.example.com","action":"allow"},{"domain":"blocked.com","action":"deny"}]}
            """)
        #expect(policy.rules.count == 3 && policy.rules[0].include == "defaults")
        try Self.roundTrip(policy)
        let service = Service(
            name: "web", definition: ServiceDefinition(cmd: "python3", args: ["-m", "http.server"]),
            state: ServiceState(
                name: "web", status: "running", pid: 7, startedAt: nil, error: nil,
                restartCount: 0))
        #expect(String(decoding: try Wire.encode(service), as: UTF8.self).contains("\"http_port\":null"))
        try Self.roundTrip(service)
        try Self.roundTrip(Checkpoint(id: "v0", createTime: "2026-01-05T10:30:00Z", comment: "first"))
        let entry = FileEntry(
            name: "src", path: "/home/sprite/proj/src", type: "directory", size: 4096, mode: "0755",
            modTime: "2026-01-05T10:30:00Z")
        #expect(entry.isDir)
        try Self.roundTrip(entry)
        let limited = try Self.decode(
            ErrorBody.self,
            """
            {"error":"sprite_creation_rate_limited","message":"Rate limit exceeded","limit":10,"window_seconds":60,"retry_after_seconds":30,"upgrade_available":true,"upgrade_url":"https://..."}
            """)
        #expect(limited.retryAfterSeconds == 30 && limited.windowSeconds == 60)
        let fs = try Self.decode(ErrorBody.self, #"{"error":"no such file","code":"ENOENT","path":"/x"}"#)
        #expect(fs.code == "ENOENT")
    }

    @Test func aBodyOfTheWrongShapeIsDescribedByItsField() {
        do {
            _ = try Self.decode(SpriteCreateRequest.self, #"{"name":"x","config":{"cpus":"eight"}}"#)
            Issue.record("a string is not an integer")
        } catch {
            #expect(Wire.describe(error).hasPrefix("config.cpus"), "\(Wire.describe(error))")
        }
    }
}

/// How the client reads what a service answers when it answers differently from our host.
@Suite("client: the service's other shapes", .offThePool)
struct ClientShapeTests {
    static func failure(_ status: Int, _ body: String, headers: [String: String] = [:]) -> HTTPFailure {
        HTTPFailure(
            response: HTTPResponse(status: status, headers: headers, body: Data(body.utf8)), method: "POST",
            path: "/v1/sprites")
    }

    @Test func aValidationErrorListIsShownAsItsWordsNotAsJSON() {
        #expect(
            Self.failure(400, #"{"errors": ["invalid wait_for_capacity parameter", "name is taken"]}"#).message
                == "invalid wait_for_capacity parameter; name is taken")
        #expect(Self.failure(400, #"{"errors": [{"message": "bad name"}, 7]}"#).message == "bad name")
        #expect(
            Self.failure(400, #"{"error": "bad_request", "message": "name is required"}"#).message == "name is required"
        )
        #expect(Self.failure(400, #"{"error": "sprite not found"}"#).message == "sprite not found")
        #expect(Self.failure(400, "plain words\nmore").message == "plain words")
    }

    @Test func aRetryAfterIsHonouredUpToTheDocumentedSixtySecondWindow() {
        let client = SpritesClient(baseURL: "http://127.0.0.1:9", token: "t")
        #expect(client.retryWait(1, hint: 45) == 45)
        #expect(client.retryWait(1, hint: 60) == 60)
        #expect(client.retryWait(1, hint: 600) == 60)
        #expect(client.retryWait(1, hint: -3) == 0)
        #expect(Self.failure(429, "{}", headers: ["retry-after": "45"]).retryAfter == 45)
        #expect(Self.failure(429, #"{"retry_after_seconds": 50}"#, headers: ["retry-after": "5"]).retryAfter == 50)
    }

    @Test func checkpointsAreOrderedNewestFirstWhateverOrderTheyCome() {
        let listed = [
            Checkpoint(id: "v0", createTime: "2026-01-01T00:00:00Z", comment: ""),
            Checkpoint(id: "v9", createTime: "2026-01-01T00:00:05Z", comment: ""),
            Checkpoint(id: "v10", createTime: "2026-01-01T00:00:05Z", comment: ""),
            Checkpoint(id: "auto-1767225602000", createTime: "2026-01-01T00:00:02.5Z", comment: ""),
            Checkpoint(id: "broken", createTime: "yesterday", comment: ""),
        ]
        #expect(SpritesClient.newestFirst(listed).map(\.id) == ["v10", "v9", "auto-1767225602000", "v0", "broken"])
        #expect(
            SpritesClient.newestFirst(listed.reversed()).map(\.id) == [
                "v10", "v9", "auto-1767225602000", "v0", "broken",
            ])
    }

    /// stdin that is the null device ends at once, without a thread to read it; anything else
    /// (a pipe, another device, a file) is read.
    @Test func onlyTheNullDeviceIsTakenForStdinWithNothingToRead() throws {
        let null = open("/dev/null", O_RDONLY), zero = open("/dev/zero", O_RDONLY)
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data()))
        let empty = open(file.path, O_RDONLY)
        defer {
            for fd in [null, zero, pipe[0], pipe[1], empty] { close(fd) }
            try? FileManager.default.removeItem(at: file)
        }
        #expect(SpritesClient.isNullDevice(null))
        #expect(!SpritesClient.isNullDevice(zero))
        #expect(!SpritesClient.isNullDevice(pipe[0]))
        #expect(!SpritesClient.isNullDevice(empty))
        #expect(!SpritesClient.isNullDevice(-1))
    }
}
