import Foundation
import SpriteSync
import SpritesAPI

/// `git sprite wait`: blocks until the agent of each sprite named is finished, waiting for
/// input, or gone, and says which. The exit status tells them apart (`WaitWorkflow.Outcome`).
/// While it waits, `sprite.notify.command` runs once per change of state.
public enum WaitWorkflow {
    /// What `wait` ended with; the raw value is the exit status (documented in the man page).
    public enum Outcome: Int32, Sendable {
        /// Every agent finished its turn.
        case finished = 0
        /// An agent waits for input (a question, a permission).
        case waiting = 10
        /// An agent is gone: it exited, or none runs.
        case gone = 11
        /// `--timeout` passed first.
        case timedOut = 12
    }

    public struct Result: Sendable {
        public var lines: [String] = []
        public var outcome: Outcome = .finished
        /// Each agent as the wait ended for it.
        public var agents: [AgentState] = []

        /// The `--json` document.
        public var output: Output {
            Output(outcome: Output.name(of: outcome), exitStatus: outcome.rawValue, agents: agents)
        }
    }

    /// One agent as `wait` left it.
    public struct AgentState: Sendable, Codable {
        public let sprite: String
        /// `finished`, `waiting for input`, `exited with N`, `none`, or, timed out, `working`
        /// (or `unknown`: it never answered).
        public let state: String
        /// The line `wait` prints for it.
        public let description: String
    }

    /// What `wait --json` prints.
    public struct Output: Sendable, Codable {
        /// `finished`, `waiting`, `gone` or `timedOut`.
        public let outcome: String
        public let exitStatus: Int32
        public let agents: [AgentState]

        static func name(of outcome: Outcome) -> String {
            switch outcome {
            case .finished: "finished"
            case .waiting: "waiting"
            case .gone: "gone"
            case .timedOut: "timedOut"
            }
        }
    }

    /// How often the agent is looked at, and how many failed looks in a row end the wait.
    static let interval: TimeInterval = 2
    static let attempts = 5

    public static func run(_ context: Context, sprites arguments: [String], timeout: TimeInterval?) throws -> Result {
        let targets = try (arguments.isEmpty ? [nil] : arguments.map { Optional($0) }).map {
            try SpriteTarget(context, sprite: $0)
        }
        let deadline = timeout.map { context.clock.now().addingTimeInterval($0) }
        var pending = Dictionary(uniqueKeysWithValues: targets.map { ($0.name, $0) })
        let notifier = Notifier(command: targets.first?.settings.notifyCommand, context: context)
        var result = Result()
        var failures: [String: Int] = [:]
        var woken: Set<String> = []
        // the agents that answered at least once: one that never did is not called working
        var answered: Set<String> = []
        var timedOut = false
        looking: while !pending.isEmpty {
            for (name, target) in pending.sorted(by: { $0.key < $1.key }) {
                // nil: the sprite does not exist (an error at once; anything else is retried)
                guard let (attempt, woke) = look(target, waking: !woken.contains(name), context, until: deadline)
                else {
                    timedOut = true
                    break looking
                }
                if woke { woken.insert(name) }
                switch attempt {
                case .success(nil):
                    throw target.missing
                case .success(let report?):
                    failures[name] = 0
                    answered.insert(name)
                    notifier.observe(name, report.state)
                    guard report.state.needsYou else { continue }
                    result.lines.append("\(name): \(report.describe())")
                    result.agents.append(
                        AgentState(sprite: name, state: report.state.text, description: report.describe()))
                    let outcome: Outcome =
                        switch report.state {
                        case .waitingForInput: .waiting
                        case .exited, .none: .gone
                        default: .finished
                        }
                    result.outcome = rank(outcome) > rank(result.outcome) ? outcome : result.outcome
                    pending.removeValue(forKey: name)
                case .failure(let error):
                    // a dropped connection or a sprite that cannot answer yet: try again a few times
                    let n = (failures[name] ?? 0) + 1
                    failures[name] = n
                    if n >= attempts {
                        let why = (error as? SpriteError)?.message ?? "\(target.connection.translate(error))"
                        throw SpriteError(
                            "stopped waiting for \(name): \(attempts) looks in a row failed: \(why)",
                            hints: ["check the sprite: git sprite status \(name)", "run git sprite wait again"])
                    }
                }
            }
            if pending.isEmpty { break }
            if let deadline, context.clock.now() >= deadline {
                timedOut = true
                break
            }
            context.clock.sleep(interval)
        }
        if timedOut {
            for name in pending.keys.sorted() {
                let (state, description) =
                    answered.contains(name)
                    ? ("working", "still working (timed out)") : ("unknown", "no answer yet (timed out)")
                result.lines.append("\(name): \(description)")
                result.agents.append(AgentState(sprite: name, state: state, description: description))
            }
            result.outcome = .timedOut
        }
        notifier.finish()
        return result
    }

    /// One look at the agent of `target` (and, `waking`, at the sprite first, which wakes it):
    /// the report (nil: no such sprite) and whether the sprite was looked at. With a deadline
    /// the look runs on a thread of its own, and nil comes back when the deadline passes
    /// first: a request the service holds (each may take 30 s, and is tried again) kept
    /// `wait --timeout 10s` waiting for minutes. The request left behind ends with the command.
    private static func look(
        _ target: SpriteTarget, waking: Bool, _ context: Context, until deadline: Date?
    ) -> (Swift.Result<AgentReport?, any Error>, Bool)? {
        let name = target.name
        // (the thread alone uses the target while this one waits, and nothing does once it
        // stops waiting: the command is ending)
        let handed = Handed(target)
        let body: @Sendable () -> (Swift.Result<AgentReport?, any Error>, Bool) = {
            let target = handed.value
            let woke = Locked(false)
            let attempt = Swift.Result {
                try target.connection.perform { api -> AgentReport? in
                    if waking && !woke.value {
                        guard let sprite = try target.lookUp(api, context: context) else { return nil }
                        if sprite.status?.description == "cold" && context.terminal.stderrIsTTY {
                            context.terminal.note("note: \(name) is cold; waking it to look at its agent")
                        }
                        woke.set(true)
                    }
                    return try AgentReport.look(api, sprite: name, home: [])
                }
            }
            return (attempt, woke.value)
        }
        guard let deadline else { return body() }
        let answer = Locked<(Swift.Result<AgentReport?, any Error>, Bool)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            answer.set(body())
            done.signal()
        }.start()
        let left = max(0, deadline.timeIntervalSince(context.clock.now()))
        guard done.wait(timeout: .now() + left) == .success else { return nil }
        return answer.value
    }

    private struct Handed<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    static func rank(_ outcome: Outcome) -> Int {
        switch outcome {
        case .finished: return 0
        case .gone: return 1
        case .waiting: return 2
        case .timedOut: return 3
        }
    }
}

/// Runs `sprite.notify.command` once per change of an agent's state: the program and its
/// words as configured (split like a shell would, never run by one), then the sprite's name
/// and the new state as arguments, also in `GIT_SPRITE_SPRITE` and `GIT_SPRITE_STATE`.
final class Notifier: @unchecked Sendable {
    private var words: [String]
    private let context: Context
    private var last: [String: AgentReport.State] = [:]
    private let running = DispatchGroup()

    init(command: String?, context: Context) {
        self.context = context
        words = command.flatMap { try? CommandWords.split($0) } ?? []
        if let command, words.isEmpty, !command.isEmpty {
            context.terminal.warn("sprite.notify.command could not be read (an unterminated quote?); no notifications")
        }
    }

    func observe(_ sprite: String, _ state: AgentReport.State) {
        guard last[sprite] != state else { return }
        last[sprite] = state
        guard let program = words.first else { return }
        // one that is not there is said once, as a warning (env's own message went out raw, at
        // every change)
        let found =
            program.contains("/")
            ? access(program, X_OK) == 0 : ExecutableSearch.find(program, path: context.environment["PATH"]) != nil
        guard found else {
            words = []
            context.terminal.warn(
                "sprite.notify.command (\(Terminal.printable(program))) could not be run: no such program; no notifications"
            )
            return
        }
        let p = Process()
        var env = context.environment
        env["GIT_SPRITE_SPRITE"] = sprite
        env["GIT_SPRITE_STATE"] = state.text
        p.setProgram(program, words.dropFirst() + [sprite, state.text], path: env["PATH"])
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        running.enter()
        p.onExit { [running] in running.leave() }
        do {
            try p.runWithSignalsUnblocked()
        } catch {
            running.leave()
            context.terminal.warn("sprite.notify.command (\(program)) could not be run: \(error.localizedDescription)")
        }
    }

    /// Waits (a little) for notifications still running.
    func finish() { _ = running.wait(timeout: .now() + 10) }
}

/// Looks at an agent in the background while `attach` runs and tells `sprite.notify.command`
/// about each change, so a user attached in one window hears when the agent needs them.
final class StateWatcher: @unchecked Sendable {
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(api: any SpritesService, sprite: String, notifier: Notifier, interval: TimeInterval = WaitWorkflow.interval) {
        let (stopped, finished) = (stopped, finished)
        Thread {
            repeat {
                if let report = try? AgentReport.look(api, sprite: sprite, home: []) {
                    notifier.observe(sprite, report.state)
                }
            } while stopped.wait(timeout: .now() + interval) == .timedOut
            notifier.finish()
            finished.signal()
        }.start()
    }

    func stop() {
        stopped.signal()
        _ = finished.wait(timeout: .now() + 5)
    }
}
