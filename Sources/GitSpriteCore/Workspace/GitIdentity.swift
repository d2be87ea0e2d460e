import SpriteGit

/// The name and email the agent's commits carry: `sprite.git.userName`/`userEmail` when set,
/// else who you are to git in this repository (`GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL`, then
/// `author.name`/`author.email`, then `user.name`/`user.email`, then `EMAIL`), as git itself
/// chooses an author. `up` writes it into the sprite's git configuration (`~/.gitconfig`), so
/// every repository there, and any the agent makes, commits with it.
public struct GitIdentity: Sendable, Equatable {
    public var name: String?
    public var email: String?
    /// Where each part came from, for `plan` (`sprite.git.userName`, `git config user.name`, …).
    public var nameSource: String?
    public var emailSource: String?

    /// Both parts are known.
    public var isComplete: Bool { name != nil && email != nil }

    /// What to say when a part is missing: the agent's commits would fail.
    public var warning: String? {
        guard !isComplete else { return nil }
        return "no git identity for the agent's commits (\(text)), so they will fail: set yours with "
            + "git config --global user.name 'Your Name' and git config --global user.email you@example.com, "
            + "or one for sprites only with git config sprite.git.userName / sprite.git.userEmail"
    }

    /// `Name <email>`, with what is missing said so.
    public var text: String {
        "\(name ?? "(no name)") <\(email ?? "no email")>"
    }

    /// The identity for `repository`.
    static func resolve(settings: Settings, repository: Repository, environment: [String: String]) -> GitIdentity {
        let config = try? repository.config()
        func env(_ key: String) -> (String, String)? {
            environment[key].flatMap { Self.clean($0) }.map { ($0, key) }
        }
        func git(_ key: String) -> (String, String)? {
            (config?.allValues(of: key).last).flatMap { Self.clean($0) }.map { ($0, "git config \(key)") }
        }
        func setting(_ key: SettingKey, _ value: String?) -> (String, String)? {
            value.flatMap { Self.clean($0) }.map { ($0, key.gitName) }
        }
        let name =
            setting(.gitUserName, settings.gitUserName) ?? env("GIT_AUTHOR_NAME") ?? git("author.name")
            ?? git("user.name")
        let email =
            setting(.gitUserEmail, settings.gitUserEmail) ?? env("GIT_AUTHOR_EMAIL") ?? git("author.email")
            ?? git("user.email") ?? env("EMAIL")
        return GitIdentity(name: name?.0, email: email?.0, nameSource: name?.1, emailSource: email?.1)
    }

    /// A value git would accept in an identity: one line, no angle brackets, not empty.
    static func clean(_ value: String) -> String? {
        // (trimmed by hand, scalar by scalar as Foundation's whitespacesAndNewlines does: every
        // command that opens a repository resolves the identity, and the first use of its
        // CharacterSet costs 0.3 ms of `plan`)
        let scalars = value.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        // (Unicode's White_Space, and the zero-width space Foundation's set has besides)
        let blank = { (scalar: Unicode.Scalar) in scalar.properties.isWhitespace || scalar == "\u{200B}" }
        while start < end, blank(scalars[start]) { start = scalars.index(after: start) }
        while end > start, blank(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        let trimmed = String(scalars[start..<end])
        guard !trimmed.isEmpty, !trimmed.contains(where: { $0 == "<" || $0 == ">" || $0.isNewline }) else { return nil }
        return trimmed
    }
}
