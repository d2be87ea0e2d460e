// swift-tools-version:6.0
import PackageDescription

// The client (git-sprite, git-remote-sprite) never depends on the server stack:
// SpriteHost and its NIO/Hummingbird dependencies link only into sprite-host.
let package = Package(
    name: "git-sprite",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "git-sprite", targets: ["git-sprite"]),
        .executable(name: "git-remote-sprite", targets: ["git-remote-sprite"]),
        .executable(name: "sprite-host", targets: ["sprite-host"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "SpriteGit", dependencies: ["CGit2"]),
        .target(name: "GitSpriteCore", dependencies: ["SpriteGit"]),
        .target(
            name: "GitSpriteCLI",
            dependencies: [
                "GitSpriteCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "git-sprite", dependencies: ["GitSpriteCLI"]),
        .executableTarget(name: "git-remote-sprite", dependencies: ["GitSpriteCore"]),
        .executableTarget(name: "sprite-host", dependencies: []),
        .testTarget(name: "GitSpriteCoreTests", dependencies: ["GitSpriteCore", "SpriteGit"]),
        .testTarget(
            name: "GitSpriteTests",
            dependencies: ["GitSpriteCore", "git-sprite", "git-remote-sprite", "sprite-host"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
