import CTerminal
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a stream's bytes go: the process's own stdout or stderr, or a test's buffer.
public struct OutputSink: Sendable {
    public let write: @Sendable (Data) -> Void
    public let flush: @Sendable () -> Void

    public init(write: @escaping @Sendable (Data) -> Void, flush: @escaping @Sendable () -> Void = {}) {
        self.write = write
        self.flush = flush
    }

    /// One of the process's C streams (`stdout`, `stderr`): text and data share its buffer,
    /// so they stay in order.
    static func file(_ stream: UnsafeMutablePointer<FILE>?) -> OutputSink {
        let handle = UnsafeSendable(stream)
        return OutputSink(
            write: { data in
                data.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { _ = fwrite(base, 1, raw.count, handle.value) }
                }
            }, flush: { fflush(handle.value) })
    }
}

/// A C pointer handed to a `@Sendable` closure (the C streams are thread-safe).
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The process's standard streams and what they are connected to. stdout carries data only;
/// progress, warnings and errors go to stderr (STYLE.md habit 5).
public final class Terminal: Sendable {
    public let stdoutIsTTY: Bool
    public let stderrIsTTY: Bool
    /// Whether stderr may carry ANSI colour (honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE, TERM=dumb).
    public let colorOnStderr: Bool
    private let stdoutSink: OutputSink
    private let stderrSink: OutputSink

    /// The process's own streams.
    public convenience init(environment env: [String: String]) {
        self.init(
            environment: env, stdout: .file(git_sprite_stdout()), stderr: .file(git_sprite_stderr()),
            stdoutIsTTY: isatty(STDOUT_FILENO) == 1, stderrIsTTY: isatty(STDERR_FILENO) == 1)
    }

    /// Streams of a caller's choosing (tests: buffers that are not terminals).
    public init(
        environment env: [String: String], stdout: OutputSink, stderr: OutputSink,
        stdoutIsTTY: Bool = false, stderrIsTTY: Bool = false
    ) {
        stdoutSink = stdout
        stderrSink = stderr
        self.stdoutIsTTY = stdoutIsTTY
        self.stderrIsTTY = stderrIsTTY
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
        stdoutSink.write(Data(text.utf8))
    }

    /// Writes bytes to stdout as they come (a remote command's output: not held in a buffer).
    public func out(_ data: Data) {
        stdoutSink.write(data)
        stdoutSink.flush()
    }

    /// Writes bytes to stderr as they come (a remote command's errors).
    public func err(_ data: Data) {
        stderrSink.write(data)
        stderrSink.flush()
    }

    /// Writes a line of non-data text to stderr.
    public func note(_ text: String) {
        stderrSink.write(Data((text + "\n").utf8))
    }

    /// Replaces the current stderr line (progress on a terminal); an empty text clears it.
    public func redraw(_ text: String) {
        stderrSink.write(Data(("\r\u{1b}[2K" + text).utf8))
        stderrSink.flush()
    }

    /// `warning: …` on stderr.
    public func warn(_ text: String) {
        note(paint("warning:", "33") + " " + Self.printable(text))
    }

    /// The one rendering of errors: `error: message`, then `hint:` lines, then detail with -v.
    /// Messages and hints are one line each and carry what the user typed (a sprite name, a
    /// path, a value from config): control characters in them are shown as `?`, so that no
    /// value can paint the terminal, set its title, or start a line that looks like a `hint:`
    /// of ours. The detail (`-v`) keeps its lines and tabs.
    public func report(_ error: SpriteError, verbose: Bool) {
        var text = paint("error:", "31") + " " + Self.printable(error.message) + "\n"
        for hint in error.hints { text += paint("hint:", "2") + " " + Self.printable(hint) + "\n" }
        if verbose, let detail = error.detail { text += "detail: " + Self.printable(detail, keepingLines: true) + "\n" }
        stderrSink.write(Data(text.utf8))
    }

    /// `text` with control characters (C0, DEL and C1) as `?`; with `keepingLines`, line feeds
    /// and tabs stay.
    public static func printable(_ text: String, keepingLines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map {
                    $0.properties.generalCategory != .control || (keepingLines && ($0 == "\n" || $0 == "\t"))
                        ? $0 : "?"
                }))
    }

    private func paint(_ text: String, _ code: String) -> String {
        colorOnStderr ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }

    /// Flushes both streams; call before exiting.
    public func flush() {
        stdoutSink.flush()
        stderrSink.flush()
    }
}
