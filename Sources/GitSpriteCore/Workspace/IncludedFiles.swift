import Foundation

/// Files git ignores that the agent needs (`.env`, local configuration), named in
/// `.spriteinclude` at the repository's top (gitignore syntax) or in `sprite.include`. Only
/// files that are both named and ignored are added: anything not ignored ships anyway, and
/// nothing ignored travels without being named. Their names are listed; their contents are
/// never printed, and names that look like secrets are marked.
public struct IncludedFiles: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var path: String
        public var looksSecret: Bool
    }

    public var files: [File] = []
    /// Patterns that match no ignored file (a warning in `plan`).
    public var unmatched: [String] = []

    public static let fileName = ".spriteinclude"
    /// More than this is surely a mistake (a pattern like `*`).
    static let limit = 1000

    /// The patterns for the repository at `root`: `.spriteinclude`, then the setting's.
    static func patterns(root: String, configured: [String]) -> [String] {
        let file = (try? String(contentsOfFile: root + "/" + fileName, encoding: .utf8)) ?? ""
        let lines = file.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
        return (lines + configured).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// Finds the ignored files the patterns name, with git's own matching.
    static func find(root: String, patterns: [String], environment: [String: String]) throws -> IncludedFiles {
        guard !patterns.isEmpty else { return IncludedFiles() }
        let git = LocalGit(directory: root, environment: environment)
        func named(by patterns: [String]) throws -> [String] {
            let file = TemporaryFiles.make("git-sprite-include-")
            defer { TemporaryFiles.remove(file) }
            guard
                TemporaryFiles.writePrivately(Data((patterns.joined(separator: "\n") + "\n").utf8), to: file)
            else {
                throw SpriteError("could not write a temporary file for \(fileName)")
            }
            let candidates = try git.check(
                ["ls-files", "-z", "--others", "--ignored", "--exclude-from=" + file],
                what: "matching \(fileName)"
            ).split(separator: "\0").map(String.init)
            guard !candidates.isEmpty else { return [] }
            if candidates.count > limit {
                throw SpriteError(
                    "\(fileName) and sprite.include name \(candidates.count) files (at most \(limit))",
                    hints: ["name the files the agent needs, not whole trees"])
            }
            // of those, the ones git ignores (the others ship with the snapshot anyway)
            return try git.check(
                ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--"]
                    + candidates.map { ":(literal)" + $0 }, what: "matching \(fileName)"
            )
            .split(separator: "\0").map(String.init)
        }
        var result = IncludedFiles()
        result.files = try named(by: patterns).sorted().map { File(path: $0, looksSecret: looksSecret($0)) }
        let found = Set(result.files.map(\.path))
        for pattern in patterns where !pattern.hasPrefix("!") {
            let matched = result.files.isEmpty ? [] : try named(by: [pattern])
            if found.isDisjoint(with: matched) {
                result.unmatched.append(pattern)
            }
        }
        return result
    }

    /// Names of keys, tokens, credentials and dotenv files.
    static func looksSecret(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent.lowercased()
        if name == ".env" || name.hasPrefix(".env.") || name.hasSuffix(".env") { return true }
        for suffix in [".pem", ".key", ".p12", ".pfx", ".jks", ".keystore"] where name.hasSuffix(suffix) { return true }
        for word in ["secret", "token", "credential", "password", "passwd", "id_rsa", "id_ed25519", "id_ecdsa"]
        where name.contains(word) { return true }
        return [".npmrc", ".netrc", ".pypirc", ".htpasswd"].contains(name)
    }
}
