import Foundation
import TestSupport
import Testing

/// The JavaScript side of the Sprites world against sprite-host: Node's own fetch and
/// WebSocket share one pool of keep-alive connections, so an exec right after a REST call
/// may ask for its upgrade on a connection that already served a request (the host must take
/// it there, as the real service does). `make test` installs Node 24 from PyPI and points
/// GIT_SPRITE_NODE at it; GIT_SPRITE_JS_SDK names the official SDK's built `dist/index.js`
/// (scripts/js-sdk.sh builds it from a checkout of its source, which these machines can only
/// be given: the npm registry is out of reach).
@Suite("official JavaScript SDK compatibility", .ownThread)
struct JavaScriptSDKTests {
    static let node = ProcessInfo.processInfo.environment["GIT_SPRITE_NODE"].flatMap { $0.isEmpty ? nil : $0 }
    static let sdk = ProcessInfo.processInfo.environment["GIT_SPRITE_JS_SDK"].flatMap { $0.isEmpty ? nil : $0 }

    @Test(.enabled(if: node != nil, "GIT_SPRITE_NODE is not set (make test sets it)"))
    func nodesFetchThenWebSocketExecWorksOnAPooledConnection() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), edge: false)
        for round in 1...5 {
            let r = try s.run(
                Self.node!, [TestDaemon.fixture("node_pooled_exec.mjs"), host.directURL, host.token, "node-\(round)"])
            #expect(
                r.status == 0 && r.stdout == "created\nread\nhello-from-node\nexit 0\n",
                "round \(round): \(r.stdout) \(r.stderr)")
        }
    }

    @Test(.enabled(if: node != nil && sdk != nil, "GIT_SPRITE_JS_SDK is not set (scripts/js-sdk.sh)"))
    func theOfficialJavaScriptSDKCreatesReadsAndExecsAtOnce() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"), edge: false)
        let r = try s.run(Self.node!, [TestDaemon.fixture("js_sdk_check.mjs"), Self.sdk!, host.directURL, host.token])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.hasSuffix("ok delete\n"), "\(r.stdout)\n\(r.stderr)")
    }
}
