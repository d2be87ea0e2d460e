import Foundation
import SpriteGit
import SpriteSync
import SpritesAPI

/// `git sprite up`: create or resume the branch's sprite, ship exactly the local code, start
/// the agent. Every step checks what is already there first, so a re-run converges.
public enum UpWorkflow {
    public static func run(_ context: Context, options: UpOptions) throws -> UpResult {
        let (repo, settings, builder, readPlan) = try read(context, options: options)
        var plan = readPlan
        // the walk to the root of the history, which identifies this repository's sprites (60 ms
        // in 10,000 commits), runs while the connection is made and the sprite looked up;
        // nothing else reads the repository until it is done
        let root = InBackground { builder.headRoot() }
        defer { _ = root.value }
        let connection = try Connection.make(settings: settings, context: context)
        // the lock, the repository made in the sprite, the checkout, the agent: each WebSocket
        // connection is opened while the step before it runs (TCP and TLS cost none of it)
        connection.keepSpares()
        defer { connection.stopSpares() }
        let reporter = StepReporter(terminal: context.terminal, quiet: context.quiet, verbose: context.verbose)
        defer { reporter.finish() }
        var result = UpResult()
        result.spriteName = plan.spriteName
        let api = connection.client
        do {
            var shipper = Shipper(
                context: context, connection: connection, sprite: plan.spriteName,
                settings: settings, noChanges: options.noChanges)
            // the sprite this repository recorded for the branch is most likely still there: its
            // lock is asked for while it is looked up, and taken once it is found to be this
            // repository's (a re-run spends no round trip of its own on the lock). The command
            // wakes the sprite, which a sprite of that name made by another repository since
            // (rare: this one's was destroyed first) would be too; nothing in it is touched
            // before `go`
            let early =
                plan.nameSource == .recorded
                ? SpriteLock.ask(shipper, identity: plan.identity, probePath: plan.primary.spritePath) : nil
            defer { early?.release() }
            let (sprite, created) = try reporter.step("sprite") { () -> ((Sprite, Bool), String) in
                // a sprite this repository made before is looked up first; a new one created first
                let found = try ensureSprite(
                    api, plan: plan, identity: builder.identity(root: root.value), settings: settings,
                    createFirst: plan.nameSource != .recorded,
                    expires: settings.ttl.map { context.clock.now().addingTimeInterval($0) })
                // (a derived name another repository's sprite had is this repository's own now)
                plan.spriteName = found.0.name
                return (found, found.1 ? "created \(plan.spriteName)" : "resumed \(plan.spriteName)")
            }
            result.spriteName = plan.spriteName
            if plan.spriteName != readPlan.spriteName {
                // recorded at once, so that every later command finds this repository's own
                // sprite even when the rest of this run fails
                recordName(plan, in: repo, context)
            }
            (result.created, result.url) = (created, sprite.url ?? "")
            if created { noteLocalEnforcement(sprite, settings: settings, context) }
            // the network policy goes on while the repositories are looked at; every clone or
            // push waits for it
            let policy = PolicyInBackground(api, sprite: plan.spriteName, rules: policyRules(settings))
            // the pushes' helpers run their execs over this command's connections
            let relay = HelperRelay.start(connection, sprite: plan.spriteName, context)
            defer { relay?.stop() }
            if shipper.sprite != plan.spriteName {
                shipper = Shipper(
                    context: context, connection: connection, sprite: plan.spriteName,
                    settings: settings, noChanges: options.noChanges)
            }
            // one run at a time ships to a sprite; a second waits here. A sprite this run created
            // may still have been shipped to first by a run that resumed it in the meantime.
            // The lock's command also looks at the primary repository once it holds the lock;
            // its snapshot is made meanwhile (the look needs to know what is coming)
            var primary = Shipper.Prepared()
            var snapshotted = false  // a lock taken a second time asks again
            let look = SpriteLock.Probe(path: plan.primary.spritePath) { [plan, shipper] in
                if !snapshotted {
                    let started = Date()
                    primary.snapshot = try shipper.snapshot(of: plan.primary, localPath: plan.primary.localPath)
                    primary.phases.append(("snapshot", Date().timeIntervalSince(started)))
                    snapshotted = true
                }
                return Shipper.probeArguments(head: plan.primary.head?.hex ?? "", tree: primary.snapshot?.tree)
            }
            let locking = Date()
            let lock: SpriteLock
            if let early, !created, early.sprite == plan.spriteName,
                let taken = try early.proceed(probe: look, terminal: context.terminal)
            {
                lock = taken
            } else {
                early?.release()
                lock = try SpriteLock.acquire(
                    shipper, terminal: context.terminal, identity: plan.identity, probe: look)
            }
            defer { lock.release() }
            primary.probe = lock.probed
            if lock.probed != nil { primary.phases.append(("lock and probe", Date().timeIntervalSince(locking))) }
            let shipping = shipAll(
                plan, shipper: shipper, spriteIsNew: created && lock.first, primary: primary, policy: policy,
                reporter: reporter)
            try policy.applied()
            _ = try reporter.step("policy") {
                ((), "\(settings.networkPolicy) (applied in \(Int(policy.seconds * 1000)) ms, alongside the code)")
            }
            result.repos = try shipping.get()
            result.summary = Self.summary(
                plan, sprite: plan.spriteName,
                changes: !options.noChanges && !(result.repos.first?.changesKeptOut ?? false),
                leftAsItWas: result.repos.first?.leftAsItWas ?? false)
            for r in result.repos { for n in r.notes { context.terminal.note("note: " + n) } }
            if !settings.packages.isEmpty {
                try reporter.step("packages") { () -> ((), String) in
                    try installPackages(api, plan.spriteName, settings.packages)
                    return ((), settings.packages.joined(separator: " "))
                }
            }
            if !options.noAgent {
                result.agent = try reporter.step("agent") { () -> (RunningAgent, String) in
                    let agent = try Agent(api: api, sprite: plan.spriteName, settings: settings, context: context)
                        .ensure(prompt: options.prompt)
                    return (agent, agent.text)
                }
            }
        } catch {
            throw connection.translate(error)
        }
        remember(plan, repo: repo, settings: settings, options: options, context)
        if let found = root.value, let branch = plan.primary.branch { builder.recordRoot(found, branch: branch) }
        result.steps = reporter.steps
        let pricing = Pricing(settings: settings)
        let running = pricing.computeHour(cpus: settings.cpu, memoryGB: settings.memoryGB)
        let storage = Decimal(settings.storageGB) * pricing.storageGBHour
        result.rate =
            "\(Money.dollars(running + storage)) an hour while it runs (\(settings.cpu) CPU, \(settings.memoryGB) GB), "
            + "\(Money.dollars(storage * 168)) a week asleep (\(settings.storageGB) GB); estimate: git sprite cost"
        return result
    }

    /// The repository, the settings (flags included), and the plan of what to ship; every
    /// repository must have a commit.
    static func read(
        _ context: Context, options: UpOptions
    )
        throws -> (Repository, Settings, PlanBuilder, WorkspacePlan)
    {
        let repo = try RepositoryLocator.primary(context)
        var flags: [String: (value: String, flag: String)] = [:]
        if let name = options.name { flags[SettingKey.name.name] = (name, "--name") }
        if options.local { flags[SettingKey.api.name] = ("local", "--local") }
        if let ttl = options.ttl { flags[SettingKey.ttl.name] = (ttl, "--ttl") }
        let settings = try SettingsLoader(environment: context.environment, flags: flags, repository: repo).load()
        for warning in settings.warnings { context.terminal.warn(warning) }
        let builder = PlanBuilder(context: context, repository: repo, settings: settings)
        let plan: WorkspacePlan
        do {
            plan = try builder.build()
        } catch let e as GitError {
            throw PlanWorkflow.unreadable(e)
        }
        if let warning = plan.identity.warning { context.terminal.warn(warning) }
        for repoPlan in [plan.primary] + plan.linked where repoPlan.head == nil {
            throw SpriteError(
                "\(repoPlan.label) has no commits yet",
                hints: ["commit something first: git commit --allow-empty -m 'start'"])
        }
        for repoPlan in [plan.primary] + plan.linked {
            guard let op = repoPlan.operation else { continue }
            // HEAD is a passing state (a rebase's detached commit, a merge's conflict markers):
            // shipping it would name a sprite after it and hand the agent half an operation
            throw SpriteError(
                "\(repoPlan.label) is in the middle of a \(op.rawValue)",
                hints: ["finish it (\(op.finish)) or abort it (\(op.abort)), then run git sprite up again"])
        }
        // a recorded submodule commit that only this machine could send, and it does not have
        func unsendable(_ subs: [SubmodulePlan]) -> SubmodulePlan? {
            for sub in subs {
                if sub.commitMissing && sub.transport == .tunnel { return sub }
                if let nested = unsendable(sub.submodules) { return nested }
            }
            return nil
        }
        for repoPlan in [plan.primary] + plan.linked {
            guard let sub = unsendable(repoPlan.submodules) else { continue }
            // named by its path from the repository's top (a nested one's `path` is its parent's own)
            let path = String(sub.spritePath.dropFirst(repoPlan.spritePath.count + 1))
            throw SpriteError(
                "submodule \(path) records commit \(sub.commit?.short ?? ""), which its local clone does "
                    + "not have, and its URL is local",
                hints: [
                    "fetch it: git -C \(shellQuote(path)) fetch, or commit the submodule at a "
                        + "commit it has, then run git sprite up again"
                ])
        }
        return (repo, settings, builder, plan)
    }

    /// A local host says what it can hold a new sprite to on this machine.
    static func noteLocalEnforcement(_ sprite: Sprite, settings: Settings, _ context: Context) {
        guard let local = sprite.localEnforcement else { return }
        let network = local.networkPolicies?[settings.networkPolicy] ?? local.network ?? "unknown"
        context.terminal.note(
            "note: the local sprite-host enforces resources: \(local.resources ?? "unknown"); "
                + "network: \(network)")
    }

    /// Ships every repository at once; the first failure, once all have finished.
    static func shipAll(
        _ plan: WorkspacePlan, shipper: Shipper, spriteIsNew: Bool, primary: Shipper.Prepared,
        policy: PolicyInBackground, reporter: StepReporter
    ) -> Result<[UpResult.Shipped], Error> {
        // the plan already read every repository: its local path is the work tree root
        let local = [plan.primary] + plan.linked
        let shipped = Locked([UpResult.Shipped?](repeating: nil, count: local.count))
        let failures = Locked<[Error]>([])
        DispatchQueue.concurrentPerform(iterations: local.count) { i in
            do {
                let label = local[i].mount.map { "code (\($0))" } ?? "code"
                let s = try reporter.step(label) { () -> (UpResult.Shipped, String) in
                    let s = try shipper.ship(
                        local[i], localPath: local[i].localPath, spriteIsNew: spriteIsNew,
                        prepared: i == 0 ? primary : nil, policyApplied: policy.applied)
                    return (s, "\(s.method) → \(s.spritePath)" + (s.phases.isEmpty ? "" : " (\(s.breakdown))"))
                }
                shipped.withLock { $0[i] = s }
            } catch {
                failures.withLock { $0.append(error) }
            }
        }
        if let first = failures.value.first { return .failure(first) }
        return .success(shipped.value.compactMap { $0 })
    }

    /// What later commands need to find: the branch's sprite, and (after `--local`) the local host.
    static func remember(
        _ plan: WorkspacePlan, repo: Repository, settings: Settings, options: UpOptions,
        _ context: Context
    ) {
        recordName(plan, in: repo, context)
        if let branch = plan.primary.branch {
            if let ttl = settings.ttl {
                let expires = Int(context.clock.now().addingTimeInterval(ttl).timeIntervalSince1970)
                record("branch.\(branch).spriteExpires", String(expires), in: repo, context)
            }
        }
        if options.local, settings[.api].origin == .flag("--local"),
            (try? repo.config().allValues(of: "sprite.api").last) != "local"
        {
            record("sprite.api", "local", in: repo, context)
            context.terminal.note(
                "note: this repository now uses the local sprite-host (sprite.api=local); "
                    + "undo with: git config --unset sprite.api")
        }
    }

    /// `branch.<branch>.sprite`: the name later commands resolve the branch to.
    static func recordName(_ plan: WorkspacePlan, in repo: Repository, _ context: Context) {
        guard let branch = plan.primary.branch else { return }
        record("branch.\(branch).sprite", plan.spriteName, in: repo, context)
    }

    /// Sets `key` in the repository's own config; when it cannot (a `config.lock` left by a git
    /// that died mid-write: every git that writes the config fails until it goes), `up` goes
    /// on, but says so, where it used to carry on silently without the value.
    static func record(_ key: String, _ value: String, in repo: Repository, _ context: Context) {
        do {
            try repo.writeLocalConfig(key, value)
        } catch let error as SpriteError {
            context.terminal.warn(error.message)
            for hint in error.hints { context.terminal.note("hint: " + hint) }
        } catch {
            context.terminal.warn("could not write \(key): \(error)")
        }
    }

    /// `shipped main @ 1a2b3c4d5e6f, 3 uncommitted files, 2 submodules and 1 linked repo to
    /// app-main`: what `up` put in the sprite, in one line.
    static func summary(_ plan: WorkspacePlan, sprite: String, changes: Bool, leftAsItWas: Bool = false) -> String {
        let primary = plan.primary
        let what = primary.branch ?? "HEAD"
        // the sprite had work of its own in the way: nothing of yours went to its workspace
        if leftAsItWas { return "left \(sprite) as it was: its \(what) has work of its own (see the note above)" }
        var parts = ["\(what) @ \(primary.head.map { String($0.hex.prefix(12)) } ?? "(no commits)")"]
        let c = primary.changes
        let uncommitted = c.modified + c.staged + c.untracked
        if changes && uncommitted > 0 { parts.append(Homecoming.count(uncommitted, "uncommitted file")) }
        if changes && !primary.included.files.isEmpty {
            parts.append(Homecoming.count(primary.included.files.count, "included file"))
        }
        if !primary.submodules.isEmpty { parts.append(Homecoming.count(primary.submodules.count, "submodule")) }
        if !plan.linked.isEmpty { parts.append(Homecoming.count(plan.linked.count, "linked repo")) }
        let list = parts.count == 1 ? parts[0] : parts.dropLast().joined(separator: ", ") + " and " + parts.last!
        return "shipped \(list) to \(sprite)"
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
        let r = try api.run(sprite, InSpriteScript.installPackages, packages, directory: SpritePaths.home)
        guard r.status == 0 else {
            throw SpriteError(
                "installing packages in the sprite failed: \(lastLine(of: r.stderr) ?? "")",
                hints: ["check sprite.image.packages: git sprite config"])
        }
    }
}
