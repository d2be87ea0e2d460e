import Foundation
import SpriteGit
import SpritesAPI

/// What `git sprite up` was asked to do.
public struct UpOptions: Sendable {
    public var prompt: String?
    public var name: String?
    public var noAgent = false
    public var local = false
    public var noChanges = false

    public init() {}
}

/// What `git sprite up` did, for the summary and `--json`.
public struct UpResult: Sendable {
    public struct Step: Sendable {
        public let name: String
        public let seconds: Double
        public let detail: String
    }

    public struct Shipped: Sendable {
        public let mount: String?
        public let spritePath: String
        public let method: String
        public let head: String
        public let notes: [String]
    }

    public var spriteName = ""
    public var url = ""
    public var created = false
    public var steps: [Step] = []
    public var repos: [Shipped] = []
    public var agent: String?
    public var warnings: [String] = []

    public var attachCommand: String { "git sprite attach \(spriteName)" }

    public var json: JSON {
        .object([
            ("sprite", .string(spriteName)), ("url", .string(url)), ("created", .bool(created)),
            ("workspace", .string(SpritePaths.workspace)),
            ("repos", .array(repos.map { r in
                .object([("mount", .optional(r.mount)), ("spritePath", .string(r.spritePath)),
                         ("method", .string(r.method)), ("head", .string(r.head)),
                         ("notes", .array(r.notes.map(JSON.string)))])
            })),
            ("agent", .optional(agent)),
            ("attach", .string(attachCommand)),
            ("steps", .array(steps.map { s in
                .object([("name", .string(s.name)), ("seconds", .double((s.seconds * 1000).rounded() / 1000)),
                         ("detail", .string(s.detail))])
            })),
            ("warnings", .array(warnings.map(JSON.string))),
        ])
    }

    public var text: String {
        var out = "sprite     \(spriteName)\n"
        // a local sprite-host has no public URL (its sprites are reached through its socket)
        if url.hasPrefix("https://") || url.hasPrefix("http://") { out += "url        \(url)\n" }
        for r in repos { out += "repo       \(r.spritePath) @ \(String(r.head.prefix(12))) (\(r.method))\n" }
        if let agent { out += "agent      \(agent)\n" }
        out += "attach     \(attachCommand)\n"
        return out
    }
}

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
    private var live: Bool { terminal.stderrIsTTY && !quiet }

    init(terminal: Terminal, quiet: Bool) {
        self.terminal = terminal
        self.quiet = quiet
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
            if stopped { lock.unlock(); return }
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
        }
        lock.unlock()
        return value
    }
}

/// `git sprite up`: create or resume the branch's sprite, ship exactly the local code, start
/// the agent. Every step checks what is already there first, so a re-run converges.
public enum UpWorkflow {
    public static func run(_ context: Context, options: UpOptions) throws -> UpResult {
        let repo = try RepositoryLocator.primary(context)
        var flags: [String: (value: String, flag: String)] = [:]
        if let name = options.name { flags["name"] = (name, "--name") }
        if options.local { flags["api"] = ("local", "--local") }
        let settings = try SettingsLoader(environment: context.environment, flags: flags, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let builder = PlanBuilder(context: context, repository: repo, settings: settings)
        let plan: WorkspacePlan
        do {
            plan = try builder.build()
        } catch let e as GitError {
            throw SpriteError("cannot read the repository", detail: e.description)
        }
        for repoPlan in [plan.primary] + plan.linked where repoPlan.head == nil {
            throw SpriteError("\(repoPlan.mount.map { "linked repo '\($0)'" } ?? "this repository") has no commits yet",
                              hints: ["commit something first: git commit --allow-empty -m 'start'"])
        }
        let connection = try Connection.make(settings: settings, context: context)
        let reporter = StepReporter(terminal: context.terminal, quiet: context.quiet)
        defer { reporter.finish() }
        var result = UpResult()
        result.spriteName = plan.spriteName
        let repoID = builder.repositoryID()
        let api = connection.client
        do {
            // 1. create or resume
            let (sprite, created) = try reporter.step("sprite") { () -> ((Sprite, Bool), String) in
                // a sprite this repository made before is looked up first; a new one created first
                let found = try ensureSprite(api, plan: plan, repoID: repoID, settings: settings,
                                             createFirst: plan.nameSource != .recorded)
                return (found, found.1 ? "created \(plan.spriteName)" : "resumed \(plan.spriteName)")
            }
            result.created = created
            result.url = sprite.url ?? ""
            if created, let local = sprite.localEnforcement {
                // a local host says what it can hold a new sprite to on this machine
                let network = local.networkPolicies?[settings.networkPolicy] ?? local.network ?? "unknown"
                context.terminal.note("note: the local sprite-host enforces resources: \(local.resources ?? "unknown"); "
                                      + "network: \(network)")
            }
            // 2. network policy, applied before any code goes in: it runs while the repos are
            // looked at, and every clone or push waits for it
            let policyDone = DispatchSemaphore(value: 0)
            let policyError = Shared<Error?>(nil)
            let policySeconds = Shared(0.0)
            DispatchQueue.global().async {
                let start = Date()
                do {
                    try api.setNetworkPolicy(plan.spriteName, rules: policyRules(settings))
                } catch {
                    policyError.set(error)
                }
                policySeconds.set(Date().timeIntervalSince(start))
                policyDone.signal()
            }
            let policyLock = NSLock()
            var policyChecked = false
            let policyApplied: () throws -> Void = {
                policyLock.lock()
                defer { policyLock.unlock() }
                if !policyChecked {
                    policyDone.wait()
                    policyChecked = true
                }
                if let error = policyError.current { throw error }
            }
            // 3. code, every repo at once
            let shipper = Shipper(context: context, connection: connection, sprite: plan.spriteName,
                                  settings: settings, noChanges: options.noChanges)
            // the plan already read every repository: its local path is the work tree root
            let local = [plan.primary] + plan.linked
            var shipped = [UpResult.Shipped?](repeating: nil, count: local.count)
            var failures: [Error] = []
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: local.count) { i in
                do {
                    let label = local[i].mount.map { "code (\($0))" } ?? "code"
                    let s = try reporter.step(label) { () -> (UpResult.Shipped, String) in
                        let s = try shipper.ship(local[i], localPath: local[i].localPath,
                                                 spriteIsNew: created, policyApplied: policyApplied)
                        return (s, "\(s.method) → \(s.spritePath)")
                    }
                    lock.lock(); shipped[i] = s; lock.unlock()
                } catch {
                    lock.lock(); failures.append(error); lock.unlock()
                }
            }
            try policyApplied()
            _ = try reporter.step("policy") {
                ((), "\(settings.networkPolicy) (applied in \(Int(policySeconds.current * 1000)) ms, alongside the code)")
            }
            if let first = failures.first { throw first }
            result.repos = shipped.compactMap { $0 }
            for r in result.repos { for n in r.notes { context.terminal.note("note: " + n) } }
            // 4. packages
            if !settings.packages.isEmpty {
                try reporter.step("packages") { () -> ((), String) in
                    try installPackages(api, plan.spriteName, settings.packages)
                    return ((), settings.packages.joined(separator: " "))
                }
            }
            // 5. the agent
            if !options.noAgent {
                result.agent = try reporter.step("agent") { () -> (String, String) in
                    let state = try Agent(api: api, sprite: plan.spriteName, settings: settings, context: context)
                        .ensure(prompt: options.prompt)
                    return (state, state)
                }
            }
        } catch {
            throw connection.translate(error)
        }
        if let branch = plan.primary.branch {
            try? repo.setLocalConfig("branch.\(branch).sprite", to: plan.spriteName)
        }
        if options.local, settings[.api].origin == .flag("--local"),
           (try? repo.config().allValues(of: "sprite.api").last) != "local" {
            // later commands (exec, status, down) must find the same host
            try? repo.setLocalConfig("sprite.api", to: "local")
            context.terminal.note("note: this repository now uses the local sprite-host (sprite.api=local); "
                                  + "undo with: git config --unset sprite.api")
        }
        result.steps = reporter.steps
        return result
    }

    /// Finds the branch's sprite or creates it; a sprite of that name that is not this
    /// repository's is never taken over.
    static func ensureSprite(_ api: any SpritesService, plan: WorkspacePlan, repoID: String,
                             settings: Settings, createFirst: Bool = true) throws -> (Sprite, Bool) {
        func resumed(_ existing: Sprite) throws -> (Sprite, Bool) {
            guard SpriteLabels.belongs(existing.labels, to: repoID) else {
                throw SpriteError("the sprite name '\(plan.spriteName)' is taken by a sprite that is not this repository's",
                                  hints: ["choose another name: git sprite up --name <name>"])
            }
            return (existing, false)
        }
        if !createFirst, let existing = try api.getSprite(plan.spriteName) {
            return try resumed(existing)
        }
        let spec = SpriteCreation(name: plan.spriteName, labels: SpriteLabels.make(repo: repoID, branch: plan.primary.branch),
                                  cpus: settings.cpu, ramMB: settings.memoryGB * 1024)
        do {
            return (try api.createSprite(spec), true)
        } catch APIError.http(let f) where f.status == 409 || f.status == 400 {
            // it exists (an earlier run, or one whose answer was lost): resume it if it is ours
            guard let existing = try api.getSprite(plan.spriteName) else { throw APIError.http(f) }
            return try resumed(existing)
        }
    }

    static func policyRules(_ settings: Settings) -> [PolicyRule] {
        switch settings.networkPolicy {
        case "block-all": return [PolicyRule(domain: "*", action: "deny")]
        case "allow-list":
            return settings.allowedDomains.map { PolicyRule(domain: $0, action: "allow") }
                + [PolicyRule(domain: "*", action: "deny")]
        default: return []
        }
    }

    static func installPackages(_ api: any SpritesService, _ sprite: String, _ packages: [String]) throws {
        let r = try api.run(sprite, InSpriteScript.installPackages.argv(packages), directory: SpritePaths.home)
        guard r.status == 0 else {
            throw SpriteError("installing packages in the sprite failed: \(lastLine(of: r.stderr) ?? "")",
                              hints: ["check sprite.image.packages: git sprite config"])
        }
    }
}
