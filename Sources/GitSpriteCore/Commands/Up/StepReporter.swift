import Foundation

/// Reports progress on stderr, only when stderr is a terminal: a spinner line naming the
/// running steps with their elapsed time, redrawn at most every 200 ms, and one line per
/// finished step with its time.
final class StepReporter: @unchecked Sendable {
    private let terminal: Terminal
    private let lock = NSLock()
    private(set) var steps: [UpResult.Step] = []
    private var running: [String: Date] = [:]
    private var spinner: Thread?
    private var stopped = false
    let quiet: Bool
    /// `-v`: each finished step with its time even when stderr is not a terminal.
    let verbose: Bool
    private var live: Bool { terminal.stderrIsTTY && !quiet }

    init(terminal: Terminal, quiet: Bool, verbose: Bool = false) {
        self.terminal = terminal
        self.quiet = quiet
        self.verbose = verbose
        if live {
            let t = Thread { [weak self] in self?.spin() }
            spinner = t
            t.start()
        }
    }

    private func spin() {
        let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        var i = 0
        while true {
            Thread.sleep(forTimeInterval: 0.2)
            lock.lock()
            if stopped {
                lock.unlock()
                return
            }
            let now = Date()
            let text = running.sorted { $0.value < $1.value }
                .map { String(format: "%@ %.1fs", $0.key, now.timeIntervalSince($0.value)) }.joined(separator: ", ")
            if !text.isEmpty { terminal.redraw("\(frames[i % frames.count]) \(text)") }
            lock.unlock()
            i += 1
        }
    }

    /// Stops the spinner and clears its line.
    func finish() {
        lock.lock()
        stopped = true
        if live { terminal.redraw("") }
        lock.unlock()
    }

    func step<T>(_ name: String, _ body: () throws -> (T, String)) throws -> T {
        let start = Date()
        lock.lock()
        running[name] = start
        lock.unlock()
        defer {
            lock.lock()
            running.removeValue(forKey: name)
            lock.unlock()
        }
        let (value, detail) = try body()
        let seconds = Date().timeIntervalSince(start)
        lock.lock()
        steps.append(.init(name: name, seconds: seconds, detail: detail))
        if live {
            terminal.redraw("")
            terminal.note(String(format: "✓ %@ %@ (%.1fs)", name, detail, seconds))
        } else if verbose {
            terminal.note(String(format: "timing: %@ %.3fs: %@", name, seconds, detail))
        }
        lock.unlock()
        return value
    }
}
