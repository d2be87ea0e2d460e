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

    /// libgit2 is linked in from libgit2-dev's archives: `plan` loads neither libgit2.so nor any
    /// of the sixteen libraries it names (mbedTLS, libssh2, OpenSSL, Kerberos: 2.9 ms of every
    /// start). Its CA bundle is never parsed (`SpriteGitTests` counts the declined loads).
    @Test func libgit2AndItsLibrariesAreLinkedInNotLoaded() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        let r = try s.sprite(["plan"], in: app, env: ["LD_DEBUG": "files"])
        #expect(r.status == 0, "\(r.stderr.suffix(600))")
        // (the loader's lines of git-sprite's own process, not of the git it starts)
        let lines = r.stderr.split(separator: "\n")
        let pid = lines.first { $0.contains("needed by") && $0.contains("git-sprite [0]") }?.split(separator: ":").first
        let loaded = lines.filter { $0.split(separator: ":").first == pid && $0.contains("[0];  needed by") }
        #expect(loaded.contains { $0.contains("file=libc.so.6") }, "LD_DEBUG said nothing: \(r.stderr.prefix(600))")
        for library in [
            "libgit2", "libmbed", "libssh2", "libcrypto", "libgssapi", "libkrb5", "libhttp_parser", "libpcre2",
        ] {
            #expect(!loaded.contains { $0.contains("file=" + library) }, "plan loaded \(library)")
        }
    }

    /// What libgit2's archive is bound to when the executable is linked (the CA loaders, the
    /// start of libssh2, the GSSAPI stubs) is hidden from the dynamic symbol table: a release
    /// build exports its globals, and libcurl, loaded later, bound its own Kerberos calls to the
    /// stubs. Read from the object file, which the debug and the release link alike.
    @Test func whatLibgit2sArchiveIsBoundToIsNotExported() throws {
        let s = try Sandbox()
        let object = Sandbox.binDirectory + "/CGit2Startup.build/linking.c.o"
        let r = try s.run("readelf", ["-sW", object])
        #expect(r.status == 0, "\(r.stderr)")
        // Num: Value Size Type Bind Vis Ndx Name
        let rows: [[String]] = r.stdout.split(separator: "\n").map { line in
            line.split(separator: " ").map(String.init)
        }
        let defined = rows.filter { $0.count == 8 && $0[4] == "GLOBAL" && $0[6] != "UND" }
        let names = defined.map { $0[7] }
        #expect(names.contains("gss_init_sec_context") && names.contains("__wrap_libssh2_init"), "\(r.stdout)")
        #expect(names.contains("__wrap_mbedtls_havege_poll"), "\(r.stdout)")
        // (the counters the Swift side reads are its own names, called by nothing else)
        for symbol in defined where !symbol[7].hasPrefix("git_sprite_") {
            #expect(symbol[5] == "HIDDEN", "\(symbol[7]) is exported")
        }
    }

    /// The client's executables sit at a fixed address: the loader rewrites none of the 80,000
    /// pointers a position-independent build holds (1.9 ms of every start). sprite-host does not.
    @Test func theClientIsLinkedAtAFixedAddressTheHostIsNot() throws {
        let s = try Sandbox()
        for (name, type) in [("git-sprite", "EXEC"), ("git-remote-sprite", "EXEC"), ("sprite-host", "DYN")] {
            let header = try s.run("readelf", ["-hW", Sandbox.binDirectory + "/" + name])
            let line = header.stdout.split(separator: "\n").first { $0.contains("Type:") } ?? ""
            #expect(line.split(separator: " ").dropFirst().first.map(String.init) == type, "\(name): \(line)")
            guard type == "EXEC" else { continue }
            // bound at start, the table then read-only: no writable function pointer at a known address
            let dynamic = try s.run("readelf", ["-dW", Sandbox.binDirectory + "/" + name]).stdout
            #expect(dynamic.contains("BIND_NOW"), "\(name): \(dynamic)")
            let segments = try s.run("readelf", ["-lW", Sandbox.binDirectory + "/" + name]).stdout
            #expect(segments.contains("GNU_RELRO"), "\(name)")
        }
    }

    /// A Python launcher that runs a program with getrandom(2) refused (ENOSYS), as an old
    /// kernel or a strict seccomp profile does.
    static let withoutGetrandom = """
        import ctypes, os, platform, struct, sys
        nr = {"x86_64": 318, "aarch64": 278}[platform.machine()]
        # BPF: load the syscall number; getrandom -> ERRNO(ENOSYS), anything else -> ALLOW
        prog = b"".join(struct.pack("HBBI", *i) for i in [
            (0x20, 0, 0, 0), (0x15, 0, 1, nr), (0x06, 0, 0, 0x00050000 | 38), (0x06, 0, 0, 0x7fff0000)])
        buf = ctypes.create_string_buffer(prog)
        class Fprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
        fprog = Fprog(4, ctypes.cast(buf, ctypes.c_void_p))
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
        assert libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, FILTER
        os.execv(sys.argv[1], sys.argv[1:])
        """

    /// libgit2's start seeds mbedTLS's generator from the kernel's: with getrandom refused it
    /// reads /dev/urandom, as mbedTLS itself does (the HAVEGE source's replacement once failed
    /// here, libgit2 ran half-started, and the first pack crashed it).
    @Test func libgit2StartsWhereGetrandomIsRefused() throws {
        let s = try Sandbox()
        let app = try s.makeRepo("app")
        _ = try s.run("git", ["-C", app, "gc", "-q"])  // a pack, which the crash needed
        let binary = Sandbox.binDirectory + "/git-sprite"
        let plain = try s.run("python3", ["-c", Self.withoutGetrandom, binary, "plan"], in: app)
        #expect(plain.status == 0, "\(plain.status): \(plain.stderr)")
        #expect(plain.stdout.contains("app-"), "\(plain.stdout)")
    }

    /// sprite-enter starts at every command a sprite runs, every file operation and every port:
    /// it is linked statically, with no part of the Swift runtime (the driver's `swiftrt.o`
    /// would bring it, its crash handler and libstdc++: 3 ms of every start, against 0.7 ms).
    @Test func spriteEnterLoadsNothingAndCarriesNoSwiftRuntime() throws {
        let s = try Sandbox()
        let binary = Sandbox.binDirectory + "/sprite-enter"
        let dynamic = try s.run("readelf", ["-dW", binary])
        #expect(dynamic.status == 0, "\(dynamic.stderr)")
        #expect(!dynamic.stdout.contains("(NEEDED)"), "\(dynamic.stdout)")
        let symbols = try s.run("readelf", ["-sW", binary]).stdout
        #expect(symbols.contains(" seccomp_load"), "libseccomp is linked in")
        for runtime in [" swift_retain", " swift_allocObject", " _swift_installCrashHandler"] {
            #expect(!symbols.contains(runtime), "sprite-enter carries\(runtime)")
        }
        let started = try s.run(binary, [], env: ["LD_DEBUG": "files"])
        // (the loader speaks for the env that starts it, never for sprite-enter)
        #expect(started.status == 125 && started.stderr.contains("usage: sprite-enter"), "\(started.stderr)")
        #expect(!started.stderr.contains("needed by " + binary), "\(started.stderr)")
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
