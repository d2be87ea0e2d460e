import Foundation

/// A POSIX shell script git-sprite runs inside a sprite, as `sh -c TEXT NAME ARG…`. Every
/// script lives in this folder with its contract beside its text: its arguments, what it
/// prints (`key=value` lines, read by key, never by position), and its exit codes. Each one
/// is checked by `sh -n` and `shellcheck` and has contract tests that run it on temporary
/// repositories (Tests/GitSpriteCoreTests/InSprite/InSpriteScriptTests.swift).
public struct InSpriteScript: Sendable {
    /// Shown as `$0` (in error messages and `ps`).
    public let name: String
    public let text: String

    /// The argv that runs the script with `args` as `$1`, `$2`, …, the text inline: only for a
    /// script that reads its own stdin (`lock`), which must then stay short.
    public func argv(_ args: [String]) -> [String] { ["sh", "-c", text, name] + args }

    /// Scripts longer than this travel on stdin instead of in the request's URL: an edge in
    /// front of the API limits request lines (nginx's default is 8 KiB, and a script grows
    /// by half once percent-encoded).
    static let inlineLimit = 1024

    /// How to run the script with `args`: a short one inline (`argv`); a longer one as a small
    /// loader that reads the script from stdin and runs it with the same `$0` and arguments.
    public func invocation(_ args: [String]) -> (argv: [String], input: Data?) {
        guard text.utf8.count > Self.inlineLimit else { return (argv(args), nil) }
        return (["sh", "-c", #"script=$(cat) && eval "$script""#, name] + args, Data(text.utf8))
    }

    /// Every script, for the lint and contract tests.
    public static let all: [InSpriteScript] = [
        .probe, .clone, .initialise, .finish, .submoduleReady, .submodule, .submodulesReady, .submodules,
        .installPackages, .agentSupervisor,
        .inventory, .leftovers, .strayRepositories, .lock, .agentHook, .installClaudeHooks, .agentLook, .agentScreen,
    ]
}

/// The `key=value` lines a script prints, read by key.
public struct ScriptOutput: Sendable, Equatable {
    /// Every line in order, as (key, value).
    public let lines: [Line]
    /// The last value of each key.
    public let values: [String: String]

    public struct Line: Sendable, Equatable {
        public let key: String
        public let value: String
    }

    public init(_ text: String) {
        self.init(
            lines: text.split(separator: "\n").compactMap { line in
                guard let eq = line.firstIndex(of: "=") else { return nil }
                return Line(key: String(line[..<eq]), value: String(line[line.index(after: eq)...]))
            })
    }

    init(lines: [Line]) {
        self.lines = lines
        var values: [String: String] = [:]
        for line in lines { values[line.key] = line.value }
        self.values = values
    }

    public subscript(_ key: String) -> String? { values[key] }

    /// Every value of a key that may repeat, in order.
    public func all(_ key: String) -> [String] { lines.filter { $0.key == key }.map(\.value) }

    /// The sections that each start with a line of `key` (lines before the first are dropped).
    public func sections(startingAt key: String) -> [ScriptOutput] {
        var sections: [[Line]] = []
        for line in lines {
            if line.key == key {
                sections.append([line])
            } else if !sections.isEmpty {
                sections[sections.count - 1].append(line)
            }
        }
        return sections.map { ScriptOutput(lines: $0) }
    }
}
