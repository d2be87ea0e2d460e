/// A POSIX shell script git-sprite runs inside a sprite, as `sh -c TEXT NAME ARG…`. Every
/// script lives in this folder with its contract beside its text: its arguments, what it
/// prints (`key=value` lines, read by key, never by position), and its exit codes. Each one
/// is checked by `sh -n` and `shellcheck` and has contract tests that run it on temporary
/// repositories (Tests/GitSpriteTests/InSpriteScriptTests.swift).
public struct InSpriteScript: Sendable {
    /// Shown as `$0` (in error messages and `ps`).
    public let name: String
    public let text: String

    /// The argv that runs the script with `args` as `$1`, `$2`, …
    public func argv(_ args: [String]) -> [String] { ["sh", "-c", text, name] + args }

    /// Every script, for the lint and contract tests.
    public static let all: [InSpriteScript] = [
        .probe, .clone, .initialise, .finish, .submoduleReady, .submodule, .installPackages, .agentSupervisor,
    ]
}

/// The `key=value` lines a script prints, read by key.
public struct ScriptOutput: Sendable, Equatable {
    public let values: [String: String]

    public init(_ text: String) {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        self.values = values
    }

    public subscript(_ key: String) -> String? { values[key] }
}
