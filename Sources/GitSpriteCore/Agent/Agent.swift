import Foundation
import SpriteSync
import SpritesAPI

/// The agent: a sprite service runs a supervisor script that owns a tmux
/// session named after the sprite; the service brings it back after a crash or a cold wake.
struct Agent: Sendable {
    let api: any SpritesService
    let sprite: String
    let settings: Settings
    let context: Context

    static let directory = SpritePaths.state
    static let socket = directory + "/tmux.sock"
    static let supervisor = directory + "/agent.sh"
    /// The variables named by `sprite.agent.env`, as `export NAME='value'` lines (0600): the
    /// supervisor sources it. Not the service's `env`, which only one SDK documents (a service
    /// that ignored it would start the agent without its API key) and which would keep the
    /// values in the service's definition. Removed when the agent is stopped.
    static let environmentFile = directory + "/agent.env"
    static let service = "agent"

    /// `environment` as the lines of `environmentFile`, each value in single quotes.
    static func environmentScript(_ environment: [String: String]) -> String {
        environment.sorted { $0.key < $1.key }.map { name, value in
            "export \(name)='" + value.replacingOccurrences(of: "'", with: "'\\''") + "'\n"
        }.joined()
    }

    /// Stops the agent: removes its service, so a wake does not start it again, and ends its
    /// tmux session, whose server (a daemon) would outlive the service's supervisor.
    static func stop(_ api: any SpritesService, sprite: String) throws {
        try api.deleteService(sprite, name: service)
        _ = try? api.run(
            sprite,
            [
                "sh", "-c", "tmux -S \"$1\" kill-session -t \"=$2\" 2>/dev/null; rm -f \"$3\"", "sh",
                socket, sprite, environmentFile,
            ])
    }

    /// The session exists and its pane's process is alive (a dead pane stays on screen).
    var hasSession: Bool {
        let r = try? api.run(
            sprite,
            [
                "tmux", "-S", Self.socket, "display-message", "-p", "-t", "=" + sprite + ":",
                "#{pane_dead}",
            ])
        // tmux prints "1" for a dead pane, and "0" or nothing for a live one
        return r?.status == 0 && !String(decoding: r?.stdout ?? Data(), as: UTF8.self).hasPrefix("1")
    }

    /// Starts the agent unless it runs; a prompt for a running agent is typed into its session.
    func ensure(prompt: String?) throws -> RunningAgent {
        let words = try CommandWords.split(settings.agentCommand)
        guard !words.isEmpty else {
            throw SpriteError("sprite.agent.command is empty", hints: ["git config sprite.agent.command claude"])
        }
        let running = try api.services(sprite).first { $0.name == Self.service }?.state?.status == "running"
        if running && hasSession {
            if let prompt {
                try remote(
                    ["tmux", "-S", Self.socket, "send-keys", "-t", "=" + sprite + ":", "-l", "--", prompt],
                    "typing the prompt")
                try remote(
                    ["tmux", "-S", Self.socket, "send-keys", "-t", "=" + sprite + ":", "Enter"], "typing the prompt")
            }
            return RunningAgent(command: words, session: sprite, started: false, prompted: prompt != nil)
        }
        if settings.installClaude && words[0] == "claude" {
            let check = try api.run(sprite, ["sh", "-c", "command -v claude >/dev/null && claude --version"])
            if check.status != 0 {
                let install = try api.run(sprite, ["sh", "-c", settings.claudeInstaller])
                if install.status != 0 {
                    throw SpriteError(
                        "installing Claude Code in the sprite failed: \(lastLine(of: install.stderr) ?? "")",
                        hints: [
                            "set another installer: git config sprite.image.claudeInstaller '<command>'",
                            "or skip the agent: git sprite up --no-agent",
                        ])
                }
            }
        }
        var env: [String: String] = [:]
        for name in settings.agentEnvironment {
            if let value = context.environment[name] {
                env[name] = value
            } else {
                context.terminal.warn("\(name) is listed in sprite.agent.env but not set here; not forwarded")
            }
        }
        // the supervisor and the agent's environment (written even when empty: no stale
        // value stays), at once: one round trip
        let files = [
            (Self.supervisor, Data(InSpriteScript.agentSupervisor.text.utf8), "0755"),
            (Self.environmentFile, Data(Self.environmentScript(env).utf8), "0600"),
        ]
        let failure = Locked<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            do { try api.writeFile(sprite, path: files[i].0, data: files[i].1, mode: files[i].2) } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        if let error = failure.value { throw error }
        try api.putService(
            sprite, name: Self.service, cmd: "/bin/sh",
            args: [Self.supervisor, sprite] + words + (prompt.map { [$0] } ?? []),
            environment: [:], directory: SpritePaths.home)
        // the agent must still be there a moment later; one that died at once is reported
        var alive = 0
        for _ in 0..<40 {
            let failed = try? api.readFile(sprite, path: Self.directory + "/agent.failed")
            if let failed, !failed.isEmpty {
                try? api.stopService(sprite, name: Self.service)
                let text = String(decoding: failed, as: UTF8.self)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                let status = lines.first.map(String.init) ?? ""
                let output = lines.dropFirst().filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.suffix(5)
                throw SpriteError(
                    "the agent (\(words.joined(separator: " "))) exited at once (\(status))",
                    hints: [
                        "its last output: " + output.joined(separator: " | "),
                        "check sprite.agent.command, or start without it: git sprite up --no-agent",
                    ])
            }
            alive = hasSession ? alive + 1 : 0
            if alive >= 3 {
                return RunningAgent(command: words, session: sprite, started: true, prompted: prompt != nil)
            }
            context.clock.sleep(0.25)
        }
        throw SpriteError(
            "the agent did not start in the sprite",
            hints: [
                "see the service log: git sprite exec -- "
                    + "cat /.sprite/logs/services/agent.log"
            ])
    }

    private func remote(_ argv: [String], _ what: String) throws {
        let r = try api.run(sprite, argv)
        if r.status != 0 { throw SpriteError("\(what) failed: \(String(decoding: r.stderr, as: UTF8.self))") }
    }
}

/// Splits a configured command into words the way a POSIX shell would, with quotes and
/// backslashes but without any expansion, so nothing in it is ever evaluated.
enum CommandWords {
    static func split(_ text: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for c in text {
            if escape {
                current.append(c)
                escape = false
                inWord = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escape = true } else { current.append(c) }
                continue
            }
            switch c {
            case "\\": escape = true
            case "'", "\"":
                quote = c
                inWord = true
            case " ", "\t", "\n":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            default:
                current.append(c)
                inWord = true
            }
        }
        if quote != nil || escape {
            throw SpriteError("sprite.agent.command has an unterminated quote: \(text)")
        }
        if inWord { words.append(current) }
        return words
    }
}

/// The agent as `up` left it (`up --json`: `agent`).
public struct RunningAgent: Sendable, Codable {
    /// The command, in words (`sprite.agent.command`).
    public let command: [String]
    /// Its tmux session in the sprite (what `attach` joins).
    public let session: String
    /// Started now (false: it was running already).
    public let started: Bool
    /// The prompt was given to it: as its argument, or typed into the running session.
    public let prompted: Bool

    public var text: String { "\(started ? "started" : "running") in tmux session \(session)" }
}
