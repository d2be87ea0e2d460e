import Foundation
import GitSpriteCore
import TestSupport
import Testing

/// A certificate authority made for the tests and a certificate for `127.0.0.1`/`localhost`
/// it signed, as a private CA in front of a real service would be.
struct TestAuthority: Sendable {
    let directory: String
    /// The CA's certificate: what `SSL_CERT_FILE` names for a client to trust the edge.
    var caCertificate: String { directory + "/ca.pem" }
    var certificate: String { directory + "/server.pem" }
    var key: String { directory + "/server.key" }

    /// One per test process: in `GIT_SPRITE_TEST_CA` when set (the edge tier names it, so the
    /// test process itself can trust it through `SSL_CERT_FILE`), else in a temporary directory.
    static let shared: TestAuthority = {
        let env = ProcessInfo.processInfo.environment
        let named = env["GIT_SPRITE_TEST_CA"].flatMap { $0.isEmpty ? nil : $0 }
        let dir = named ?? FileManager.default.temporaryDirectory.path + "/git-sprite-test-ca-\(getpid())"
        // the process's own goes with it (one was left per test run)
        if named == nil { Sandbox.removeAtExit(dir) }
        let authority = TestAuthority(directory: dir)
        if !FileManager.default.fileExists(atPath: authority.certificate) {
            do { try authority.make() } catch { Issue.record("cannot make the test CA: \(error)") }
        }
        return authority
    }()

    private func make() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            cd "$1"
            key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
            key ca.key
            openssl req -x509 -new -key ca.key -days 30 -subj "/CN=git-sprite test CA" \\
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem
            key server.key
            openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \\
                -extfile server.ext -out server.pem 2>/dev/null
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script, "make-ca", directory]
        p.standardOutput = FileHandle.nullDevice
        try p.runWithSignalsUnblocked()
        p.waitForExit(within: 60, "openssl making the test CA")
        guard p.terminationStatus == 0 else { throw SpriteTestFailure("openssl failed (\(p.terminationStatus))") }
    }
}

/// nginx from Debian in front of a sprite-host, as the real service sits behind a TLS edge:
/// TLS with a certificate of the test CA, HTTP/2 offered by ALPN (`listen … ssl http2`),
/// WebSocket upgrades proxied as HTTP/1.1, the request-size limits left at nginx's defaults.
/// Its access log records, per request, the protocol and the ALPN the client got.
final class TLSEdge {
    let url: String
    let accessLog: String
    private let daemon: TestDaemon

    /// One request as the edge saw it.
    struct Seen: Equatable {
        /// `HTTP/1.1` or `HTTP/2.0`.
        let proto: String
        /// What ALPN chose on the connection (`h2`, `http/1.1`, or `-` when none).
        let alpn: String
        let status: Int
        let method: String
        /// The path without the query.
        let path: String
    }

    /// `upstream`: the host's `http://127.0.0.1:PORT`; `directory` holds the configuration and logs.
    init(upstream: String, directory: String, authority: TestAuthority = .shared) throws {
        try FileManager.default.createDirectory(atPath: directory + "/temp", withIntermediateDirectories: true)
        accessLog = directory + "/access.log"
        var started: (TestDaemon, Int)?
        for _ in 0..<5 where started == nil {
            let port = try Self.freePort()
            let config = directory + "/nginx.conf"
            try Self.configuration(port: port, upstream: upstream, directory: directory, authority: authority)
                .write(toFile: config, atomically: true, encoding: .utf8)
            let d = try TestDaemon(
                ["nginx", "-c", config, "-p", directory, "-e", directory + "/error.log"],
                waitForFirstLine: false)
            if Self.listening(port) { started = (d, port) }
        }
        guard let (d, port) = started else {
            let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
            throw SpriteTestFailure("nginx did not start: \(log)")
        }
        daemon = d
        url = "https://127.0.0.1:\(port)"
    }

    /// The requests the edge has logged so far.
    func requests() -> [Seen] {
        let text = (try? String(contentsOfFile: accessLog, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count >= 5, let status = Int(f[2]) else { return nil }
            return Seen(
                proto: f[0], alpn: f[1], status: status, method: f[3],
                path: String(f[4].split(separator: "?", maxSplits: 1).first ?? ""))
        }
    }

    static func configuration(port: Int, upstream: String, directory: String, authority: TestAuthority) -> String {
        """
        daemon off;
        master_process off;
        \(geteuid() == 0 ? "user root;" : "")
        pid \(directory)/nginx.pid;
        events { worker_connections 512; }
        http {
            log_format edge '$server_protocol $ssl_alpn_protocol $status $request_method $request_uri';
            access_log \(directory)/access.log edge;
            client_body_temp_path \(directory)/temp/body;
            proxy_temp_path \(directory)/temp/proxy;
            fastcgi_temp_path \(directory)/temp/fastcgi;
            uwsgi_temp_path \(directory)/temp/uwsgi;
            scgi_temp_path \(directory)/temp/scgi;
            map $http_upgrade $connection_upgrade { default upgrade; '' close; }
            server {
                listen 127.0.0.1:\(port) ssl http2;
                ssl_certificate \(authority.certificate);
                ssl_certificate_key \(authority.key);
                client_max_body_size 0;
                location / {
                    proxy_pass \(upstream);
                    proxy_http_version 1.1;
                    proxy_set_header Host $http_host;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection $connection_upgrade;
                    proxy_buffering off;
                    proxy_request_buffering off;
                    proxy_read_timeout 1h;
                    proxy_send_timeout 1h;
                }
            }
        }
        """
    }

    /// A port nothing listens on now (the kernel's choice for port 0, released at once).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        guard bound else { throw SpriteTestFailure("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether something accepts connections on the port within five seconds.
    static func listening(_ port: Int) -> Bool {
        eventually(seconds: 5) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }
    }
}
