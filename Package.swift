// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The directory of `swift` on PATH. (Top-level code: each constant is set in order, so what
/// one uses is declared above it.)
let toolchain: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return path.split(separator: ":").map(String.init).first {
        FileManager.default.isExecutableFile(atPath: $0 + "/swift")
    }
}()

/// Links with lld where the toolchain has it (beside `swift` on PATH): the debug test binary
/// (about 100 MB) links in under a second, against 13 s with the default linker, and the
/// executables in a fraction of their time too, for every developer's build and every CI run.
let lld: [LinkerSetting] =
    toolchain.map { FileManager.default.isExecutableFile(atPath: $0 + "/ld.lld") } == true
    ? [.unsafeFlags(["-use-ld=lld"])] : []

/// sprite-enter is C, started for every command a sprite runs, every file operation and every
/// port it opens. The Swift driver links its `swiftrt.o` into any executable, and with it the
/// Swift runtime (its crash handler reads /proc/self/maps at start), libstdc++ and libm: 3 ms
/// of each start, where the program itself needs 0.7 ms. `swift_runtime.c` answers the two
/// symbols `swiftrt.o` asks for, so no part of the runtime is pulled in, and the program is
/// linked statically (libc and libseccomp inside, nothing for the loader to map). The driver's
/// `-lswiftCore` then resolves to the toolchain's archive, which nothing is taken from; a
/// toolchain without static libraries keeps the dynamic link. Not a static PIE: glibc's start
/// of one refuses the run path SwiftPM gives every executable (its stack, heap and mappings
/// are still placed at random).
let spriteEnterLinking: [LinkerSetting] = {
    let dynamic: [LinkerSetting] = [.linkedLibrary("seccomp")] + lld
    guard let toolchain else { return dynamic }
    let staticRuntime = URL(fileURLWithPath: toolchain + "/../lib/swift_static/linux").standardized.path
    guard FileManager.default.fileExists(atPath: staticRuntime + "/libswiftCore.a") else { return dynamic }
    return dynamic + [
        .unsafeFlags([
            "-L", staticRuntime, "-Xclang-linker", "-static", "-Xclang-linker", "-Wno-unused-command-line-argument",
        ])
    ]
}()

/// The C++ runtime the Swift runtime uses, linked in as well: this directory holds only a link
/// to Debian 12's libstdc++.a, found before the shared library the toolchain names (0.6 ms of
/// every start). Where that file does not exist the link dangles, the directory is not given
/// to the linker, and the shared library is used as before.
let staticLibraries: [LinkerSetting] = {
    let directory =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Sources/CGit2Startup/static-libs"
    return FileManager.default.fileExists(atPath: directory + "/libstdc++.a") ? [.unsafeFlags(["-L", directory])] : []
}()

/// libgit2 and what it needs, linked in from the static archives libgit2-dev's dependencies
/// install (Debian 12: libmbedtls-dev, libssh2-1-dev, libssl-dev, libhttp-parser-dev,
/// libpcre2-dev, zlib1g-dev), instead of loading libgit2.so and the 16 libraries it names at
/// every start (2.9 ms of a C program that does nothing else, measured: bench/RESULTS.md).
/// `--wrap` sends libgit2's two CA loading calls and its start of libssh2 to ones that do
/// nothing (linking.c). Archives in the order they use each other, for linkers that read them
/// once.
let libgit2: [LinkerSetting] =
    [
        .unsafeFlags([
            "-Xlinker", "--wrap=mbedtls_x509_crt_parse_file", "-Xlinker", "--wrap=mbedtls_x509_crt_parse_path",
            "-Xlinker", "--wrap=libssh2_init", "-Xlinker", "--wrap=mbedtls_havege_init",
            "-Xlinker", "--wrap=mbedtls_havege_poll",
        ])
    ]
    + ["git2", "mbedtls", "mbedx509", "mbedcrypto", "http_parser", "ssh2", "crypto", "pcre2-8", "z"].map {
        .linkedLibrary(":lib\($0).a")
    } + staticLibraries

/// The client's executables are not position-independent. Linked with the Swift standard
/// library and Foundation, a position-independent git-sprite holds about 80,000 pointers that
/// the dynamic loader rewrites at every start, copying the 340 pages they sit on: 1.9 ms of a
/// 4.7 ms `--version` (bench/RESULTS.md). At a fixed address they are written when linking.
/// Its own code is then not placed at random (libraries, stack and heap still are), as with
/// the Go toolchain's default build, `gh` and `git-lfs` among them; docs/security.md says why
/// that is the trade made here. Every symbol is bound at start (`-z now`, about 530) and the
/// table of them is then read-only (`relro`), so it is no writable target at a known address.
/// sprite-host, which runs for long, stays position-independent.
let fixedAddress: [LinkerSetting] =
    lld + [
        .unsafeFlags([
            "-Xclang-linker", "-no-pie", "-Xlinker", "-z", "-Xlinker", "now", "-Xlinker", "-z", "-Xlinker", "relro",
        ])
    ]

// The client (git-sprite, git-remote-sprite) never depends on the server stack:
// SpriteHost and its NIO/Hummingbird dependencies link only into sprite-host.
let package = Package(
    name: "git-sprite",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "git-sprite", targets: ["git-sprite"]),
        .executable(name: "git-remote-sprite", targets: ["git-remote-sprite"]),
        .executable(name: "sprite-host", targets: ["sprite-host"]),
        .executable(name: "sprite-enter", targets: ["sprite-enter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", exact: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // what SpriteHost imports directly besides Hummingbird (already in the graph through it)
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // libgit2's headers; the library itself is linked in by CGit2Startup (below)
        .systemLibrary(name: "CGit2", providers: [.apt(["libgit2-dev"])]),
        // libcurl's headers at build time, libcurl itself loaded on first use (include/git_sprite_curl.h)
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),
        // the one lock abstraction (`Locked`), for the client and the host
        .target(name: "SpriteSync"),
        // libgit2 linked in from libgit2-dev's archives, without the CA bundle it would parse
        // at start-up and the Kerberos libraries it would load, neither ever used (linking.c)
        .target(name: "CGit2Startup", exclude: ["static-libs"], linkerSettings: libgit2),
        .target(name: "SpriteGit", dependencies: ["CGit2", "CGit2Startup", "CTerminal"]),
        .target(name: "SpriteHTTP", dependencies: ["CCurl", "SpriteSync", "SpriteWire"]),
        // the Sprites API's Codable types, shared by the client and sprite-host (Foundation only)
        .target(name: "SpriteWire"),
        .target(name: "SpritesAPI", dependencies: ["SpriteHTTP", "SpriteSync", "SpriteWire"]),
        .target(name: "CSpriteHost"),
        .target(name: "CTerminal"),
        .target(
            name: "SpriteHost",
            dependencies: [
                "CSpriteHost", "SpriteSync", "SpriteWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "GitSpriteCore",
            dependencies: ["SpriteGit", "SpritesAPI", "SpriteHTTP", "SpriteSync", "SpriteWire", "CTerminal"]),
        .target(
            name: "GitSpriteCLI",
            dependencies: [
                "GitSpriteCore", "SpriteWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "git-sprite", dependencies: ["GitSpriteCLI"], linkerSettings: fixedAddress),
        .executableTarget(name: "git-remote-sprite", dependencies: ["GitSpriteCore"], linkerSettings: fixedAddress),
        // C: enters sprites (setns needs a single-threaded process); installed next to sprite-host
        .executableTarget(
            name: "sprite-enter", cSettings: [.define("_GNU_SOURCE"), .headerSearchPath("../CSpriteHost/include")],
            linkerSettings: spriteEnterLinking),
        .executableTarget(
            name: "sprite-host",
            dependencies: [
                "SpriteHost", "SpriteWire", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: lld
        ),
        // what the test targets share: a private world per test (Sandbox), bounded waits on
        // children, each end-to-end test on a thread of its own (OwnThread)
        .target(name: "TestSupport", dependencies: ["GitSpriteCore", "SpriteSync"], path: "Tests/Support"),
        .testTarget(name: "SpriteGitTests", dependencies: ["SpriteGit"]),
        .testTarget(name: "SpriteHTTPTests", dependencies: ["SpriteHTTP", "SpriteSync"]),
        // sprite-host's routes in-process (RouterClient: a router's responder, no socket; not
        // HummingbirdTesting, whose HTTP client brings NIOSSL and BoringSSL into every test
        // build); sprite-enter is where the host looks
        .testTarget(
            name: "SpriteHostTests",
            dependencies: [
                "SpriteHost", "SpritesAPI", "SpriteSync", "sprite-enter",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GitSpriteCoreTests",
            dependencies: [
                "GitSpriteCore", "SpriteGit", "SpriteHTTP", "SpriteSync", "SpriteWire", "SpritesAPI", "TestSupport",
            ],
            exclude: ["Fuzz/Corpus"]),
        // the CLI in-process (GitSpriteMain.execute with a test's Context): parsing, settings,
        // plans and usage errors without starting the binary
        .testTarget(
            name: "GitSpriteCLITests", dependencies: ["GitSpriteCLI", "GitSpriteCore", "SpriteSync", "TestSupport"]),
        .testTarget(
            name: "GitSpriteTests",
            dependencies: [
                "GitSpriteCore", "SpritesAPI", "SpriteHTTP", "SpriteSync", "TestSupport", "git-sprite",
                "git-remote-sprite", "sprite-host", "sprite-enter",
            ],
            exclude: ["Fixtures"],
            linkerSettings: lld
        ),
    ],
    // every target, tests included: complete concurrency checking
    swiftLanguageModes: [.v6]
)
