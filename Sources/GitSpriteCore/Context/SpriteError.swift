/// How a git-sprite process ends. Chosen in one place, the CLI's entry point.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case failure = 1
    /// Ctrl-C: 128 + SIGINT, what the shell reports for git (interrupted with its child) too.
    case cancelled = 130
    /// The sprite, file or host named is not there.
    case notFound = 3
    case authentication = 4
    case usage = 64
    case notARepository = 128
}

/// The one error type use cases throw: a one-line message, `hint:` lines naming the fix, the
/// exit status, and low-level detail that only `--verbose` shows.
public struct SpriteError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var hints: [String]
    public var status: ExitStatus
    public var detail: String?

    public init(_ message: String, hints: [String] = [], status: ExitStatus = .failure, detail: String? = nil) {
        self.message = message
        self.hints = hints
        self.status = status
        self.detail = detail
    }

    public var description: String { message }
}
