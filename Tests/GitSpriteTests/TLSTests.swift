import Foundation
import GitSpriteCore
import SpritesAPI
import TestSupport
import Testing

/// `https://` and `wss://`: sprite-host behind a TLS front on loopback with a certificate
/// made for the test. libcurl does the TLS for both the HTTP calls and the exec WebSocket.
@Suite("TLS and proxies", .ownThread)
struct TLSTests {
    /// A TLS-terminating relay in front of a host, with its own self-signed certificate.
    final class TLSFront {
        let url: String
        let certificate: String
        private let daemon: TestDaemon

        init(_ s: Sandbox, in front: LocalHost) throws {
            certificate = s.path("tls/cert.pem")
            let key = s.path("tls/key.pem")
            try FileManager.default.createDirectory(atPath: s.path("tls"), withIntermediateDirectories: true)
            let made = try s.run(
                "openssl",
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", certificate,
                ])
            #expect(made.status == 0, "\(made.stderr)")
            let upstream = String(front.directURL.split(separator: ":").last ?? "")
            daemon = try TestDaemon(["python3", TestDaemon.fixture("relay.py"), "tls", certificate, key, upstream])
            url = "https://127.0.0.1:" + daemon.firstLine
        }
    }

    @Test func httpsAndWssWorkWhenTheCertificateIsTrustedAndFailClearlyWhenNot() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let front = try TLSFront(s, in: host)
        #expect(front.url.hasPrefix("https://127.0.0.1:"))
        let repo = try s.makeRepo("app")
        _ = try host.client().createSprite(SpriteCreation(name: "app-main"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": front.url]

        // not trusted: one clear line, the way to fix it, and no command ran
        let refused = try s.sprite(
            ["exec", "app-main", "--", "sh", "-c", "touch /home/sprite/ran"], in: repo, env: env)
        #expect(refused.status != 0)
        #expect(
            refused.stderr.hasPrefix(
                "error: the Sprites API at \(front.url) presented a certificate that is not trusted"),
            "\(refused.stderr)")
        #expect(
            refused.stderr.contains("hint: if your network uses its own certificate authority, point SSL_CERT_FILE"))
        #expect(try host.client().run("app-main", ["test", "-e", "/home/sprite/ran"]).status == 1)

        // trusted through SSL_CERT_FILE (or CURL_CA_BUNDLE): HTTP calls and the exec WebSocket
        for variable in ["SSL_CERT_FILE", "CURL_CA_BUNDLE"] {
            let trusted = env.merging([variable: front.certificate]) { $1 }
            let status = try s.sprite(["status", "--json"], in: repo, env: trusted)
            #expect(status.status == 0, "\(status.stderr)")
            let exec = try s.run(
                "sh", ["-c", "printf 'over tls\\n' | git sprite exec app-main --dir /tmp -- sh -c 'cat; exit 3'"],
                in: repo, env: trusted)
            #expect(exec.status == 3, "\(exec.stderr)")
            #expect(exec.stdout == "over tls\n")
        }
    }

    @Test func aProxyCarriesTheAPICallsAndTheExecStreamThroughATunnel() throws {
        let s = try Sandbox()
        let host = try LocalHost(root: s.path("host"))
        let repo = try s.makeRepo("app")
        _ = try host.client().createSprite(SpriteCreation(name: "app-main"))
        let log = s.path("proxy.log")
        let proxy = try TestDaemon(["python3", TestDaemon.fixture("relay.py"), "proxy", log])
        let port = proxy.firstLine
        let env = [
            "SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.directURL, "http_proxy": "http://127.0.0.1:" + port,
        ]
        let status = try s.sprite(["status", "--json"], in: repo, env: env)
        #expect(status.status == 0, "\(status.stderr)")
        let exec = try s.sprite(
            ["exec", "app-main", "--dir", "/tmp", "--", "echo", "through the proxy"], in: repo, env: env)
        #expect(exec.status == 0, "\(exec.stderr)")
        #expect(exec.stdout == "through the proxy\n")
        let seen = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let authority = String(host.directURL.dropFirst("http://".count))
        #expect(seen.contains("GET \(host.directURL)/v1/sprites"), "\(seen)")  // plain calls, forwarded
        #expect(seen.contains("CONNECT \(authority) HTTP/1.1"), "\(seen)")  // the exec WebSocket, tunnelled
    }
}
