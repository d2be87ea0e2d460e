import Foundation
import SpriteGit
import SpriteHTTP
import SpriteSync
import SpritesAPI

/// Puts one repository into the sprite: clone from the remote when the sprite
/// can, push what the remote lacks through the tunnel (`git-remote-sprite`), land uncommitted
/// work as uncommitted changes, and tunnel submodules. Each step looks first, so re-runs
/// converge and ship only what is new.
struct Shipper: Sendable {
    /// Whether the sprite has answered a command in this run (shared by the concurrent shippers).
    let readiness = Locked(false)
    /// Names this run's staging directories.
    let runID = String(UUID().uuidString.prefix(8)).lowercased()
    let context: Context
    let connection: Connection
    let sprite: String
    let settings: Settings
    let noChanges: Bool

    var api: any SpritesService { connection.client }

    /// What the sprite already has at a path.
    struct Probe {
        var exists = false
        var head: String?
        var branch: String?
        /// HEAD is detached at a commit no ref of the sprite's contains (commits it made on no branch).
        var unkept = false
        /// Tree of the work tree when it has uncommitted changes.
        var dirtyTree: String?
        /// Tree of the last snapshot git-sprite applied there.
        var shippedSnapshot: String?
    }

    /// The environment for local git: our helper on PATH, the API endpoint and token in the
    /// environment (never in argv). (`LocalGit` removes git's repository variables.)
    var gitEnvironment: [String: String] {
        var env = context.environment
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        env["PATH"] = (me as NSString).deletingLastPathComponent + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["SPRITES_API_URL"] = connection.apiURL
        env["SPRITES_TOKEN"] = connection.token
        env["GIT_TERMINAL_PROMPT"] = "0"
        env.merge(HelperRelay.environment) { $1 }
        return env
    }

    func remote(_ path: String) -> String { connection.gitURL(sprite, path) }

    /// How long a sprite may take to answer its first command (a cold wake, a new VM).
    static let readyTimeout: TimeInterval = 120

    /// Runs a command in the sprite and fails with its last stderr line (see `untilReady`).
    @discardableResult
    func remoteRun(
        _ argv: [String], in dir: String = SpritePaths.home, input: Data? = nil, what: String
    ) throws -> String {
        let r = try untilReady { try api.run(sprite, argv, directory: dir, input: input, environment: [:]) }
        return try output(of: r, what: what)
    }

    /// Runs a command in the sprite, as `remoteRun` does, but answers nil when it exits with
    /// `status` (a script's way of saying there is nothing usable there) instead of failing.
    func remoteRun(
        _ argv: [String], in dir: String = SpritePaths.home, input: Data? = nil, what: String,
        nilOnExit status: Int32
    ) throws -> String? {
        let r = try untilReady { try api.run(sprite, argv, directory: dir, input: input, environment: [:]) }
        return r.status == status ? nil : try output(of: r, what: what)
    }

    /// A command's stdout, or the failure of `what` with its last stderr line.
    private func output(of r: (status: Int32, stdout: Data, stderr: Data), what: String) throws -> String {
        guard r.status == 0 else {
            throw SpriteError(
                "\(what) in the sprite failed: \(lastLine(of: r.stderr) ?? "exit \(r.status)")",
                detail: String(decoding: r.stderr, as: UTF8.self))
        }
        return String(decoding: r.stdout, as: UTF8.self)
    }

    /// Until the sprite has answered once in this run, a request doubles as the readiness
    /// check: while the sprite cannot take it yet it is retried with short backoff (no fixed
    /// sleeps), for up to two minutes. Later failures are real and fail fast.
    func untilReady<T>(_ request: () throws -> T) throws -> T {
        let clock = context.clock
        let deadline = clock.now().addingTimeInterval(Self.readyTimeout)
        var delay = 0.1
        while true {
            do {
                let result = try request()
                readiness.set(true)
                return result
            } catch let e as APIError {
                let retriable: Bool
                switch e {
                case .transport(let failure):
                    // a refused connection means the API itself is down: say so at once
                    retriable = failure.kind == .broken
                case .http(let f): retriable = f.status == 502 || f.status == 503 || f.status == 504
                default: retriable = false
                }
                guard retriable, !readiness.value else { throw e }
                guard clock.now().addingTimeInterval(delay) < deadline else {
                    throw SpriteError(
                        "Timeout waiting for sprite to be ready after \(Int(Self.readyTimeout)) seconds",
                        hints: [
                            "check the sprite: git sprite status",
                            "run git sprite up again; it resumes where it stopped",
                        ],
                        detail: e.description)
                }
                clock.sleep(delay)
                delay = min(delay * 2, 5)
            }
        }
    }

    /// Looks at the sprite's copy. With `shipping`, uncommitted changes that are exactly the
    /// snapshot an earlier `up` applied are cleared when a different HEAD or snapshot is coming.
    func probe(_ path: String, shipping: (head: String, tree: String?)? = nil) throws -> Probe {
        let args = shipping.map { Self.probeArguments(head: $0.head, tree: $0.tree) } ?? ["keep", ""]
        return Self.parseProbe(try remoteRun(InSpriteScript.probe, [path] + args, what: "looking at \(path)"))
    }

    /// Reads `InSpriteScript.probe`'s `key=value` lines.
    static func parseProbe(_ output: String) -> Probe {
        let values = ScriptOutput(output)
        guard values["state"] == "exists" else { return Probe() }
        return Probe(
            exists: true, head: values["head"], branch: values["branch"], unkept: values["unkept"] == "1",
            dirtyTree: values["dirty"],
            shippedSnapshot: values["snapshot"])
    }

    /// Where a repository's first ship is assembled before it moves into place, so a run cut
    /// short (Ctrl-C, a host restart, a dropped connection) never leaves a half-made
    /// repository at the path: the next run finds nothing there and starts that repository over.
    /// Each run uses a directory of its own: a `git-receive-pack` of an interrupted run may
    /// still be finishing in the sprite (a server keeps a disconnected command running for a
    /// while), and must not write into the next run's repository.
    func stagingPath(for path: String) -> String {
        SpritePaths.staging + "/" + Digest.sha256Prefix(path, digits: 16) + "-" + runID
    }

    /// Ships one repository in as few sequential round trips as it can: one look (skipped
    /// for a sprite created just now), one exec to clone or create the repository, one push
    /// carrying both the branch and the snapshot, one exec to check out and apply the snapshot.
    func ship(
        _ plan: RepoPlan, localPath: String, spriteIsNew: Bool, prepared: Prepared? = nil,
        policyApplied: () throws -> Void
    )
        throws -> UpResult.Shipped
    {
        // each phase's wall time, for `up --json` and `-v` (what a slow `up` spends its time on)
        var phases: [(String, Double)] = prepared?.phases ?? []
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            defer { phases.append((name, Date().timeIntervalSince(start))) }
            return try body()
        }
        var notes: [String] = []
        let label = plan.label
        let git = LocalGit(directory: localPath, environment: gitEnvironment)
        let path = plan.spritePath
        let branch = plan.branch ?? "main"
        guard let head = plan.head?.hex else { throw SpriteError("\(label) has no commits yet") }
        let snapshot: (commit: String, tree: String)?
        if let prepared {
            snapshot = prepared.snapshot
        } else {
            snapshot = try timed("snapshot") { try self.snapshot(of: plan, localPath: localPath) }
        }
        var state =
            spriteIsNew
            ? Probe() : try prepared?.probe ?? timed("probe") { try probe(path, shipping: (head, snapshot?.tree)) }
        // a first ship is assembled in staging and moved to `path` when complete
        var target = Target(dir: path, staged: false, method: plan.transport)
        if !state.exists {
            (state, target) = try timed("create") {
                try createInStaging(plan, label: label, branch: branch, notes: &notes, policyApplied: policyApplied)
            }
        }
        var changesKeptOut = false
        // what this repository's ship comes to: `head` now in the sprite, or left as it was
        func shipped(head: String, leftAsItWas: Bool) -> UpResult.Shipped {
            var shipped = UpResult.Shipped(
                mount: plan.mount, spritePath: path, method: target.method.rawValue, head: head, notes: notes,
                phases: phases)
            shipped.leftAsItWas = leftAsItWas
            shipped.changesKeptOut = changesKeptOut
            return shipped
        }
        // the sprite's work comes home at most once in a run: what a refused push fetched holds
        // a submodule left as it is too
        var broughtHome = false
        func bringHomeOnce() throws -> [String] {
            guard !broughtHome else { return [] }
            broughtHome = true
            return try bringHomeFirst(plan)
        }
        let moveHead = state.head != head
        if moveHead, !target.staged, state.unkept, let theirs = state.head,
            try git.run(["merge-base", "--is-ancestor", theirs, head]).status != 0
        {
            // commits the sprite made on a detached HEAD, on no branch there: moving HEAD would
            // leave them to its reflog (and a destroy would take them). They come home first,
            // and this repository is left as it is until what you ship contains them.
            notes += try bringHomeOnce()
            notes.append(
                "\(label): left as it is: the sprite's detached HEAD \(theirs.prefix(12)) has commits on no branch "
                    + "that your \(plan.detached ? "HEAD \(head.prefix(12))" : branch) does not contain; they are now in "
                    + "refs/remotes/sprite/\(sprite)/HEAD. Take them (git merge sprite/\(sprite)/HEAD), then git sprite up"
            )
            return shipped(head: theirs, leftAsItWas: true)
        }
        if moveHead, !target.staged, state.dirtyTree != nil {
            // uncommitted changes the sprite made (the probe clears the ones an earlier `up`
            // brought when something new comes): moving its HEAD could rewrite the files it
            // changed, so this repository is left exactly as it is
            notes.append(
                keptTheSpritesChanges(
                    label: label, path: path,
                    moving: plan.detached ? "HEAD \(head.prefix(12))" : branch))
            return shipped(head: state.head ?? head, leftAsItWas: true)
        }
        var applySnapshot = false
        if let snapshot {
            if state.dirtyTree == snapshot.tree {
                // already there from an earlier run
            } else if state.dirtyTree != nil {
                changesKeptOut = true
                notes.append(
                    "\(label): the sprite has its own uncommitted changes in \(path); your uncommitted "
                        + "changes were not applied")
            } else {
                applySnapshot = true
            }
        }
        // one push: the branch (when it moved) and the snapshot (when the sprite lacks it)
        var refspecs: [String] = []
        if moveHead {
            refspecs.append(plan.detached ? "+\(head):refs/git-sprite/head" : "\(head):refs/heads/\(branch)")
        }
        if applySnapshot, let snapshot { refspecs.append("+\(snapshot.commit):refs/git-sprite/snapshot") }
        var headLanded = !moveHead
        if !refspecs.isEmpty {
            try timed("policy wait") { try policyApplied() }
            // pack generation, transfer and index-pack in the sprite, in one `git push`
            switch try timed("push", { try push(git, refspecs, to: target, branch: branch, label: label) }) {
            case .landed: headLanded = true
            case .refused(let note, let fetchHome):
                if fetchHome { notes += try bringHomeOnce() }
                notes.append(note)
                applySnapshot = false
            }
        }
        let checkout = headLanded && moveHead && (plan.detached || state.branch != branch)
        if checkout || (applySnapshot && headLanded) || target.staged {
            let checkoutTarget = checkout ? (plan.detached ? head : branch) : ""
            let snap = applySnapshot && headLanded ? snapshot : nil
            try timed("checkout") {
                try remoteRun(
                    InSpriteScript.finish,
                    [
                        target.dir, target.staged ? path : "", checkoutTarget,
                        plan.detached ? "detach" : "branch", snap?.commit ?? "", snap?.tree ?? "",
                    ],
                    what: snap != nil
                        ? "applying uncommitted changes"
                        : checkout ? "checking out \(plan.detached ? head : branch)" : "moving \(path) into place")
            }
        }

        if headLanded {
            // what the sprite now starts from, for `git sprite diff` and `log`
            let landed = snapshot.flatMap { applySnapshot || state.dirtyTree == $0.tree ? $0.commit : nil } ?? head
            try git.check(
                ["update-ref", "-m", "git sprite up", Homecoming.shippedRef(sprite), landed],
                what: "recording what was shipped")
        }
        if !plan.submodules.isEmpty {
            var kept = false
            try timed("submodules") {
                try shipSubmodules(
                    plan.submodules, localSuper: localPath, spriteSuper: path, notes: &notes, keptAny: &kept)
            }
            // what the sprite holds in a submodule left as it is comes home now (a detached
            // HEAD as sprite/<sprite>/HEAD there), not only when someone thinks of it
            if kept { notes = try bringHomeOnce() + notes }
        }
        // a refused push leaves the sprite's HEAD where it was
        return shipped(head: headLanded ? head : state.head ?? head, leftAsItWas: !headLanded)
    }

    /// Where the code goes and how: `dir` is the path itself, or (for a first ship) this run's
    /// staging directory.
    struct Target {
        var dir: String
        var staged: Bool
        var method: TransportMethod
    }

    /// A first ship: clones into staging when the sprite can reach the remote, else creates an
    /// empty repository there for the tunnel (with a note saying why).
    func createInStaging(
        _ plan: RepoPlan, label: String, branch: String, notes: inout [String],
        policyApplied: () throws -> Void
    ) throws -> (Probe, Target) {
        let stage = stagingPath(for: plan.spritePath)
        var method = plan.transport
        if method == .clone || method == .cloneAndTunnel, let url = plan.remoteURL {
            try policyApplied()
            var options: [String] = []
            if settings.shallowClone { options += ["--depth", "1"] }
            if let b = plan.branch { options += ["--branch", b] }
            let r = try api.run(sprite, InSpriteScript.clone, [stage, url] + options, directory: SpritePaths.home)
            if r.status == 0 {
                return (
                    Self.parseProbe(String(decoding: r.stdout, as: UTF8.self)),
                    Target(dir: stage, staged: true, method: method)
                )
            } else if r.status == 1 {
                notes.append("\(label): cloning \(url) in the sprite failed; the whole branch goes through the tunnel")
                method = .tunnel
            } else {
                throw SpriteError(
                    "cloning \(label) in the sprite failed: \(lastLine(of: r.stderr) ?? "exit \(r.status)")",
                    detail: String(decoding: r.stderr, as: UTF8.self))
            }
        } else if method == .tunnel {
            notes.append("\(label): the whole branch goes through the tunnel (\(plan.transportReason))")
        }
        guard method == .tunnel else { return (Probe(), Target(dir: plan.spritePath, staged: false, method: method)) }
        try remoteRun(InSpriteScript.initialise, [stage, branch], what: "creating \(plan.spritePath)")
        return (Probe(exists: true, branch: branch), Target(dir: stage, staged: true, method: method))
    }
}
