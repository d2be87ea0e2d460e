import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI
import TestSupport
import Testing

/// The fault matrix (docs/reliability.md): for each command, each API call it makes and each
/// fault, the command either succeeds or fails with a clear one-line error; a re-run without
/// the fault converges; and nothing is lost or duplicated: one sprite, the local refs and work
/// tree as they were (but for the refs the command's contract adds), the sprite's work at home
/// or still in the sprite.
///
/// Which calls: a clean run of the command records its requests (`/_host/requests`); the
/// faults then go on those calls. A connection cut (an HTTP answer cut off, or an exec stream
/// closed just before its exit frame, after the command ran), 503 twice and 429 with Retry-After
/// go on the first, middle and last call of each endpoint (every call in turn is the in-process
/// matrix's, or `GIT_SPRITE_FAULT_MATRIX_EVERY_CALL=1`); a 5 s stall on the first of each.
@Suite("fault matrix", .ownThread)
struct FaultMatrixTests {
    enum Command: String, CaseIterable, Sendable {
        /// A first `up`: the sprite is deleted before each case.
        case up
        /// `up` again with a new local commit.
        case rerun
        /// `exec` of a command with output on both streams and exit status 3.
        case exec
        /// `attach` in a terminal, detaching with Ctrl-b d.
        case attach
        /// `down` (park) with a new commit of the agent's to fetch.
        case down
        /// `down --destroy` with a new commit of the agent's to fetch.
        case destroy
        /// `fetch` with a new commit of the agent's to bring home.
        case fetch
    }

    enum Fault: String, CaseIterable, Sendable {
        case unavailableTwice, rateLimited, connectionCut, stall
        /// The host stopped while it holds the call, and started again on the same port.
        case hostRestart
    }

    struct Call: Hashable {
        let method: String
        let path: String
        let index: Int
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let command: Command
        let fault: Fault
        var testDescription: String { "\(command.rawValue) × \(fault.rawValue)" }
    }

    /// One command per fault kind, and exec's stream cut before its exit frame: every call of
    /// every command under every fault the client reports runs in-process
    /// (`InProcessFaultMatrixTests`); these prove the retries and the wire against a host.
    static let live: [Case] = [
        Case(command: .up, fault: .connectionCut), Case(command: .exec, fault: .connectionCut),
        Case(command: .rerun, fault: .unavailableTwice), Case(command: .down, fault: .rateLimited),
        Case(command: .attach, fault: .stall), Case(command: .fetch, fault: .hostRestart),
    ]

    /// `live`; `GIT_SPRITE_FAULT_MATRIX=all` runs every command under every fault, and
    /// `GIT_SPRITE_FAULT_MATRIX=attach,exec` those commands under every fault.
    static let cases: [Case] = {
        let only = ProcessInfo.processInfo.environment["GIT_SPRITE_FAULT_MATRIX"]?.split(separator: ",").map(
            String.init)
        let chosen =
            only == nil
            ? live
            : Command.allCases.filter { only == ["all"] || only!.contains($0.rawValue) }
                .flatMap { c in Fault.allCases.map { Case(command: c, fault: $0) } }
        // behind the edge tier's TLS edge, a host restarted on its port would be behind no edge
        return chosen.filter { !(LocalHost.edgeTier && $0.fault == .hostRestart) }
    }()

    /// A workspace with a host, and what each command needs before it runs.
    /// Shared with the thread that runs the command while the host restarts.
    final class Bench: @unchecked Sendable {
        let w: Workspace
        private var current: LocalHost?
        var host: LocalHost { current! }
        let env: [String: String]
        let command: Command
        var agentCommits = 0

        init(_ command: Command) throws {
            w = try Workspace()
            let first = try LocalHost(root: w.sandbox.path("host"))
            current = first
            env = ["SPRITES_TOKEN": first.token, "SPRITES_API_URL": first.url]
            self.command = command
            if command == .attach { try s.git("config", "sprite.agent.command", Self.agent, in: w.app) }
            if command != .up && command != .destroy { try expectOK(up()) }
        }

        /// An agent that prints a line and waits.
        static let agent = "sh -c 'echo agent-ready; exec sleep 100000' agent"

        var agentRuns: Bool {
            (try? remote("tmux -S /home/sprite/.git-sprite/tmux.sock has-session -t =app-main && echo yes")) == "yes"
        }

        var s: Sandbox { w.sandbox }

        /// Stops the host and starts it again on its port, with its state.
        func restartHost() throws {
            let (root, listen) = (host.root, String(host.directURL.dropFirst("http://".count)))
            current = nil  // stops it
            for _ in 0..<50 where current == nil {
                current = try? LocalHost(root: root, listen: listen)
                if current == nil { usleep(100_000) }
            }
            if current == nil { current = try LocalHost(root: root, listen: listen) }
        }
        func up() throws -> RunResult {
            try s.sprite(["up"] + (command == .attach ? [] : ["--no-agent"]), in: w.app, env: env)
        }
        func expectOK(_ r: RunResult) throws {
            if r.status != 0 { throw SpriteTestFailure("setup failed: \(r.stderr)") }
        }
        func remote(_ command: String) throws -> String { try host.remote(command) }

        /// Puts things as the command expects them before one run.
        func prepare() throws {
            switch command {
            case .up:
                if try host.client().getSprite("app-main") != nil { try host.client().deleteSprite("app-main") }
            case .rerun:
                try s.commit("rerun-\(UUID().uuidString.prefix(8)).txt", "x\n", message: "more", in: w.app)
            case .exec:
                break
            case .attach:
                if !agentRuns { try expectOK(up()) }
            case .down, .destroy, .fetch:
                if try host.client().getSprite("app-main") == nil { try expectOK(up()) }
                agentCommits += 1
                _ = try remote(
                    "cd workspace && echo \(agentCommits) > agent-\(agentCommits).txt && git add -A && "
                        + "git -c user.name=a -c user.email=a@example.com commit -qm 'agent \(agentCommits)'")
            }
        }

        func run() throws -> RunResult {
            switch command {
            case .up, .rerun: return try up()
            case .exec:
                return try s.sprite(["exec", "--", "sh", "-c", "echo out; echo err >&2; exit 3"], in: w.app, env: env)
            case .attach:
                // in a terminal; Ctrl-b d, typed every second until it ends, detaches from tmux
                return try s.inTerminal("git sprite attach", typing: "\\002d", dir: w.app, env: env)
            case .down: return try s.sprite(["down"], in: w.app, env: env)
            case .destroy: return try s.sprite(["down", "--destroy"], in: w.app, env: env)
            case .fetch: return try s.sprite(["fetch"], in: w.app, env: env)
            }
        }

        /// The exit status of a run that went well.
        var success: Int32 { command == .exec ? 3 : 0 }

        /// The calls a clean run makes, in the order of first use.
        func discover() throws -> [Call] {
            try prepare()
            let before = try counts()
            let clean = try run()
            if clean.status != success {
                throw SpriteTestFailure("a clean \(command.rawValue) failed: \(clean.stderr)")
            }
            let after = try counts()
            var calls: [Call] = []
            for (key, n) in after.sorted(by: { $0.key < $1.key }) where !key.contains("/_host/") {
                let made = n - (before[key] ?? 0)
                let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                guard made > 0, parts.count == 2 else { continue }
                for i in 0..<made { calls.append(Call(method: parts[0], path: parts[1], index: i)) }
            }
            return calls
        }

        func counts() throws -> [String: Int] {
            try JSONSerialization.jsonObject(with: try host.hook("GET", "/_host/requests")) as? [String: Int] ?? [:]
        }

        /// What the user has that no command may change: the work tree and the refs other than
        /// the ones a sprite's work is fetched into.
        func localState() throws -> String {
            let status = try s.git("status", "--porcelain", "--untracked-files=all", in: w.app)
            let refs = try s.git("for-each-ref", "--format=%(refname) %(objectname)", in: w.app)
                .split(separator: "\n").filter {
                    !$0.hasPrefix("refs/remotes/sprite/") && !$0.hasPrefix("refs/sprite/")
                }
            return status + "\n" + refs.joined(separator: "\n")
        }

        /// After the re-run: the command's promise holds.
        func converged(_ r: RunResult) throws -> [String] {
            var problems: [String] = []
            if r.status != success { problems.append("re-run exit \(r.status): \(r.stderr)") }
            let sprites = try host.client().listSprites().map(\.name)
            switch command {
            case .up, .rerun:
                if sprites != ["app-main"] { problems.append("sprites \(sprites)") }
                let head = try s.git("rev-parse", "HEAD", in: w.app)
                if try remote("git -C workspace rev-parse HEAD") != head { problems.append("workspace HEAD differs") }
                if try remote("git -C workspace status --porcelain --untracked-files=all")
                    != "M README\n?? scratch/new.txt"
                {
                    problems.append("workspace changes differ")
                }
                if try remote("git -C repos/notes rev-parse HEAD") != (try s.git("rev-parse", "HEAD", in: w.notes)) {
                    problems.append("linked repo differs")
                }
            case .exec:
                if r.stdout != "out\n" || !r.stderr.contains("err") {
                    problems.append("output \(r.stdout) \(r.stderr)")
                }
            case .attach:
                if !r.stdout.contains("agent-ready") {
                    problems.append("the agent's screen was not shown: \(r.stdout)")
                }
                if !agentRuns { problems.append("the agent no longer runs") }
            case .down, .destroy, .fetch:
                let home = try? s.git("log", "-1", "--format=%s", "refs/remotes/sprite/app-main/main", in: w.app)
                if home != "agent \(agentCommits)" {
                    problems.append("the agent's commit is not home: \(home ?? "none")")
                }
                if command == .destroy && !sprites.isEmpty { problems.append("sprites \(sprites)") }
                if command == .fetch && sprites != ["app-main"] { problems.append("sprites \(sprites)") }
            }
            return problems
        }
    }

    /// `GIT_SPRITE_FAULT_MATRIX_EVERY_CALL=1`: every fault on every call, not only the first
    /// of each endpoint and the first, middle and last exec (about four times as long).
    static let everyCall = ProcessInfo.processInfo.environment["GIT_SPRITE_FAULT_MATRIX_EVERY_CALL"] == "1"

    /// Where each fault goes, and the rule that makes it.
    static func injections(_ calls: [Call], _ fault: Fault) -> [(Call, [String: Any])] {
        var chosen: [Call] = []
        let byKey = Dictionary(grouping: calls) { "\($0.method) \($0.path)" }
        switch fault {
        case .hostRestart:
            chosen = everyCall ? calls : byKey.sorted(by: { $0.key < $1.key }).map { $0.value[0] }
        case .connectionCut, .unavailableTwice, .rateLimited, .stall:
            if everyCall {
                chosen = calls
                break
            }
            for (_, group) in byKey.sorted(by: { $0.key < $1.key }) {
                let picks = group.count > 2 && fault != .stall ? [0, group.count / 2, group.count - 1] : [0]
                chosen += picks.map { group[$0] }
            }
        }
        return chosen.compactMap { call in
            let ws = call.method == "WS"
            var rule: [String: Any] = ["method": call.method, "path": call.path, "skip": call.index, "count": 1]
            switch fault {
            case .unavailableTwice:
                guard !ws else { return nil }  // the upgrade request (GET) answers statuses
                rule["status"] = 503
                rule["count"] = 2
            case .rateLimited:
                guard !ws else { return nil }
                rule["status"] = 429
                rule["retry_after"] = 1
            case .stall:
                guard !ws else { return nil }
                rule["stall_seconds"] = 5
            case .hostRestart:
                guard !ws else { return nil }  // held at its upgrade request
                rule["stall_seconds"] = 30
            case .connectionCut:
                if ws {
                    rule["drop_before_exit"] = true
                } else if call.method == "GET" && call.path.hasSuffix("/exec") {
                    return nil  // the upgrade itself: covered by the stream's cut
                } else {
                    rule["drop"] = 1
                }
            }
            return (call, rule)
        }
    }

    @Test(.longRunning, arguments: cases)
    func everyCallUnderEveryFaultFailsClearlyOrSucceedsAndConverges(_ c: Case) throws {
        let bench = try Bench(c.command)
        let calls = try bench.discover()
        #expect(!calls.isEmpty)
        var ran = 0, succeeded = 0, failedClearly = 0
        for (call, rule) in Self.injections(calls, c.fault) {
            try bench.prepare()
            let before = try bench.localState()
            try bench.host.faults(["clear": true, "rules": [rule]])
            let r: RunResult
            if c.fault == .hostRestart {
                // the command runs while the host holds the call; the host goes away under it
                // and comes back on the same port
                let key = "\(call.method) \(call.path)"
                let seen = try bench.counts()[key] ?? 0
                let result = Locked<Result<RunResult, Error>?>(nil)
                let done = DispatchSemaphore(value: 0)
                Thread {
                    result.set(Result { try bench.run() })
                    done.signal()
                }.start()
                let held = eventually(seconds: 60) { ((try? bench.counts()[key]) ?? 0) > seen + call.index }
                try bench.restartHost()
                #expect(held, "\(call.method) \(call.path) #\(call.index) never reached the host")
                #expect(done.wait(timeout: .now() + 180) == .success, "the command did not end after the restart")
                r = try #require(result.value).get()
            } else {
                r = try bench.run()
            }
            try bench.host.faults(["clear": true])
            let what = "\(call.method) \(call.path) #\(call.index)"
            if r.status != bench.success {
                // attach runs in a terminal (script(1)): its stderr is on that terminal, in stdout
                let said =
                    c.command == .attach
                    ? r.stdout.replacingOccurrences(
                        of: #"\x{1B}(\[[0-9;?>=]*[A-Za-z]|[()][A-Z0-9]|[=>])|\r|\^Bd"#, with: "",
                        options: .regularExpression) + r.stderr
                    : r.stderr
                let first = said.split(separator: "\n").first { $0.hasPrefix("error: ") }
                #expect(
                    first != nil && r.status < 128 && !r.stderr.contains("Fatal error"),
                    "\(what): not a clear failure (exit \(r.status)): \(said)")
                print("fault matrix \(c.testDescription): \(what): \(first ?? "exit \(r.status)")")
            }
            if r.status == bench.success { succeeded += 1 } else { failedClearly += 1 }
            // a destroy that went through leaves nothing to run again
            let exists = try bench.host.client().getSprite("app-main") != nil
            let gone = c.command == .destroy && !exists
            let again = gone ? r : try bench.run()
            let problems = try bench.converged(again)
            #expect(problems.isEmpty, "\(what): \(problems)")
            #expect(try bench.localState() == before, "\(what): the local refs or work tree changed")
            ran += 1
        }
        print(
            "fault matrix \(c.testDescription): \(ran) cases over \(calls.count) calls: "
                + "\(succeeded) succeeded, \(failedClearly) failed clearly, all converged")
    }
}

struct SpriteTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
