import Foundation
import SpriteSync

/// Reports progress on stderr, only when stderr is a terminal: a spinner line naming the
/// running steps with their elapsed time, redrawn at most every 200 ms, and one line per
/// finished step with its time.
final class StepReporter: Sendable {
    private struct State {
        var steps: [UpResult.Step] = []
        var running: [String: Date] = [:]
        var stopped = false
    }

    private let terminal: Terminal
    /// Also keeps the lines in order: a line is written while it is held.
    private let state = Locked(State())
    let quiet: Bool
    /// `-v`: each finished step with its time even when stderr is not a terminal.
    let verbose: Bool
    private var live: Bool { terminal.stderrIsTTY && !quiet }

    /// The finished steps, in the order they finished.
    var steps: [UpResult.Step] { state.value.steps }

    init(terminal: Terminal, quiet: Bool, verbose: Bool = false) {
        self.terminal = terminal
        self.quiet = quiet
        self.verbose = verbose
        if live { Thread { [weak self] in self?.spin() }.start() }
    }

    private func spin() {
        let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        var i = 0
        while true {
            Thread.sleep(forTimeInterval: 0.2)
            let stopped = state.withLock { s in
                if s.stopped { return true }
                let now = Date()
                let text = s.running.sorted { $0.value < $1.value }
                    .map { String(format: "%@ %.1fs", $0.key, now.timeIntervalSince($0.value)) }
                    .joined(separator: ", ")
                if !text.isEmpty { terminal.redraw("\(frames[i % frames.count]) \(text)") }
                return false
            }
            if stopped { return }
            i += 1
        }
    }

    /// Stops the spinner and clears its line.
    func finish() {
        state.withLock { s in
            s.stopped = true
            if live { terminal.redraw("") }
        }
    }

    func step<T>(_ name: String, _ body: () throws -> (T, String)) throws -> T {
        let start = Date()
        state.withLock { $0.running[name] = start }
        defer { state.withLock { _ = $0.running.removeValue(forKey: name) } }
        let (value, detail) = try body()
        let seconds = Date().timeIntervalSince(start)
        state.withLock { s in
            s.steps.append(.init(name: name, seconds: seconds, detail: detail))
            if live {
                terminal.redraw("")
                terminal.note(String(format: "✓ %@ %@ (%.1fs)", name, detail, seconds))
            } else if verbose {
                terminal.note(String(format: "timing: %@ %.3fs: %@", name, seconds, detail))
            }
        }
        return value
    }
}
