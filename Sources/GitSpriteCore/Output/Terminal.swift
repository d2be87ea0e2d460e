#if canImport(Glibc)
import Glibc
#endif

/// The process's standard streams and what they are connected to. stdout carries data only;
/// progress, warnings and errors go to stderr (STYLE.md habit 5).
public final class Terminal: @unchecked Sendable {
    public let stdoutIsTTY: Bool
    public let stderrIsTTY: Bool
    /// Whether stderr may carry ANSI colour (honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE, TERM=dumb).
    public let colorOnStderr: Bool

    public init(environment env: [String: String]) {
        stdoutIsTTY = isatty(STDOUT_FILENO) == 1
        stderrIsTTY = isatty(STDERR_FILENO) == 1
        colorOnStderr = Terminal.colorAllowed(env, tty: stderrIsTTY)
    }

    static func colorAllowed(_ env: [String: String], tty: Bool) -> Bool {
        if let force = env["CLICOLOR_FORCE"], force != "0", !force.isEmpty { return true }
        if env["NO_COLOR"].map({ !$0.isEmpty }) == true { return false }
        if env["CLICOLOR"] == "0" || env["TERM"] == "dumb" { return false }
        return tty
    }

    /// Writes data to stdout.
    public func out(_ text: String) {
        fputs(text, stdout)
    }

    /// Writes a line of non-data text to stderr.
    public func note(_ text: String) {
        fputs(text + "\n", stderr)
    }

    /// Replaces the current stderr line (progress on a terminal); an empty text clears it.
    public func redraw(_ text: String) {
        fputs("\r\u{1b}[2K" + text, stderr)
        fflush(stderr)
    }

    /// `warning: …` on stderr.
    public func warn(_ text: String) {
        fputs(paint("warning:", "33") + " " + text + "\n", stderr)
    }

    /// The one rendering of errors: `error: message`, then `hint:` lines, then detail with -v.
    public func report(_ error: SpriteError, verbose: Bool) {
        var text = paint("error:", "31") + " " + error.message + "\n"
        for hint in error.hints { text += paint("hint:", "2") + " " + hint + "\n" }
        if verbose, let detail = error.detail { text += "detail: " + detail + "\n" }
        fputs(text, stderr)
    }

    private func paint(_ text: String, _ code: String) -> String {
        colorOnStderr ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }

    /// Flushes both streams; call before exiting.
    public func flush() {
        fflush(stdout)
        fflush(stderr)
    }
}
