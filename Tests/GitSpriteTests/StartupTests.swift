import Foundation
import SpritesAPI
import TestSupport
import Testing

/// What the executable loads, and binds, when it starts: things only the binary shows (its
/// dynamic loader's account, `LD_DEBUG`), so these run it; the rest of `plan` is tested
/// in-process (`GitSpriteCLITests`).
@Suite("git-sprite start-up", .ownThread)
struct StartupTests {
    /// libcurl (and the thirty libraries it brings) is loaded when a command first calls the
    /// API, not when git-sprite starts: `plan` and `--version` never load it, `status` does.
    @Test func onlyACommandThatCallsTheAPILoadsLibcurl() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        for args in [["plan"], ["--version"]] {
            let r = try s.sprite(args, in: app, env: ["LD_DEBUG": "files"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stderr.contains("libcurl"), "git sprite \(args.joined(separator: " ")) loaded libcurl")
        }
        // the control: a command that calls the API loads it (here to find nothing listening)
        let r = try s.sprite(
            ["status"], in: app,
            env: ["LD_DEBUG": "files", "SPRITES_API_URL": "http://127.0.0.1:9", "SPRITES_TOKEN": "t"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("libcurl.so.4"), "\(r.stderr.suffix(600))")
    }

    /// Debian's libgit2 parses the system's whole CA bundle in `git_libgit2_init` (about 5 ms of
    /// every command that opens a repository) for TLS git-sprite never asks of it. The
    /// executables define the two loading functions (`Sources/CGit2Startup`), and the dynamic
    /// linker must bind libgit2's calls to them, not to mbedTLS.
    @Test func libgit2StartsWithoutParsingTheCABundle() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let r = try s.sprite(["plan"], in: app, env: ["LD_DEBUG": "bindings"])
        #expect(r.status == 0, "\(r.stderr.suffix(600))")
        let bindings = r.stderr.split(separator: "\n").filter { $0.contains("`mbedtls_x509_crt_parse_file'") }
        try #require(!bindings.isEmpty, "libgit2 is not built with mbedTLS here: nothing to decline")
        let fromLibgit2 = bindings.filter { $0.contains("binding file ") && $0.contains("libgit2.so") }
        #expect(!fromLibgit2.isEmpty)
        for line in fromLibgit2 {
            #expect(line.contains("/git-sprite [0]: normal symbol"), "\(line)")
            #expect(!line.contains("libmbedx509"), "\(line)")
        }
    }

    /// `exec` over a plain `ws://` address opens its socket itself: libcurl is loaded for TLS
    /// and for a proxy the environment names, not for this (4–5 ms of every exec).
    @Test func execOverAPlainConnectionLoadsLibcurlOnlyWhenAProxyIsNamed() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let host = try LocalHost(root: s.path("host"), edge: false)
        _ = try host.client().createSprite(SpriteCreation(name: "plain"))
        let env = ["SPRITES_TOKEN": host.token, "SPRITES_API_URL": host.directURL, "LD_DEBUG": "files"]
        let command = ["exec", "plain", "--dir", "/tmp", "--", "echo", "hi"]
        let r = try s.sprite(command, in: app, env: env)
        #expect(r.status == 0, "\(r.stderr.suffix(600))")
        #expect(r.stdout == "hi\n")
        #expect(!r.stderr.contains("libcurl"), "exec over ws:// loaded libcurl")
        // a proxy the environment names is honoured: libcurl goes through it (to nothing here)
        var proxied = env
        proxied["http_proxy"] = "http://127.0.0.1:9"
        let p = try s.sprite(command, in: app, env: proxied)
        #expect(p.status != 0)
        #expect(p.stdout.isEmpty)
        #expect(p.stderr.contains("libcurl.so.4"), "\(p.stderr.suffix(600))")
    }
}
