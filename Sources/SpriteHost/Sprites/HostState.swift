import Foundation
import SpriteSync
import SpriteWire

/// Settings of a running host.
public struct HostConfiguration: Sendable {
    public var root: String
    public var token: String
    /// Idle time before a running sprite goes warm.
    public var warmAfter: TimeInterval
    /// Time warm before it goes cold.
    public var coldAfter: TimeInterval
    public var testHooks: Bool
    public var organization: String
    /// Where the token was read from (hidden from sprites even under a shared directory).
    public var tokenFile: String?
    /// Where each sprite's own URL is served (`SpriteURLs`): a loopback address; nil: nowhere.
    public var urlListen: (String, Int)?
    /// Answer in the sparest documented shapes (`SparseReplies`), so clients are tested
    /// against what the API promises rather than what this host happens to send.
    public var sparseReplies: Bool
    /// The most running exec sessions one sprite, and the whole host, may have: each holds a
    /// process and its reader threads on the host until it ends.
    public var sessionLimits: SessionLimits
    /// Seconds a request head may take from its first byte to its end (then 408).
    public var requestHeadTimeout: TimeInterval
    /// Percent of the host's memory the running sprites' memory limits may add up to.
    public var memorySharePercent: Int
    /// Enforce each sprite's `cpus` and `ram_mb` with cgroups. This moves the process that runs
    /// the host into a group of its own, so a process that embeds a host and must stay where it
    /// is (the in-process router tests, which start no sandbox) turns it off.
    public var limitsResources: Bool

    public init(
        root: String, token: String, tokenFile: String? = nil, warmAfter: TimeInterval = 30,
        coldAfter: TimeInterval = 300, testHooks: Bool = false, organization: String = "local",
        sparseReplies: Bool = false, urlListen: (String, Int)? = nil, sessionLimits: SessionLimits = .init(),
        requestHeadTimeout: TimeInterval = 30, memorySharePercent: Int = 200, limitsResources: Bool = true
    ) {
        self.limitsResources = limitsResources
        self.memorySharePercent = memorySharePercent
        self.sessionLimits = sessionLimits
        self.requestHeadTimeout = requestHeadTimeout
        self.sparseReplies = sparseReplies
        self.urlListen = urlListen
        self.root = root
        self.token = token
        self.tokenFile = tokenFile
        self.warmAfter = warmAfter
        self.coldAfter = coldAfter
        self.testHooks = testHooks
        self.organization = organization
    }
}

/// All sprites of the host: records persisted on disk, runtimes in memory.
final class HostState: @unchecked Sendable {
    let config: HostConfiguration
    let platform: HostPlatform
    private struct State {
        var records: [String: SpriteRecord] = [:]
        var runtimes: [String: SpriteRuntime] = [:]
        /// Test hook (`POST /_host/resolve`): addresses the egress proxy uses for a name.
        var resolverOverrides: [String: [String]] = [:]

        /// The smallest host-user slot no sprite has.
        func freeSlot() -> Int {
            let used = Set(records.values.compactMap(\.slot))
            var slot = 1
            while used.contains(slot) { slot += 1 }
            return slot
        }
    }
    private let state = Locked(State())
    var baseURL = ""
    /// Each sprite's own URL, when the host serves them.
    var urls: SpriteURLs?
    /// Running sessions across every sprite (`HostConfiguration.sessionLimits`).
    let sessionBudget: SessionBudget
    /// The running sprites' memory limits (`MemoryBudget`), where limits are enforced.
    let memoryBudget: MemoryBudget
    /// Why recent upgrades were refused, for the clients that ask (`RefusedUpgrades`).
    let refusedUpgrades = RefusedUpgrades()

    init(config: HostConfiguration) throws {
        self.config = config
        sessionBudget = SessionBudget(config.sessionLimits)
        memoryBudget = MemoryBudget(sharePercent: config.memorySharePercent)
        try FileManager.default.createDirectory(atPath: config.root + "/sprites", withIntermediateDirectories: true)
        platform = try HostPlatform.detect(
            root: config.root, tokenFile: config.tokenFile, limitsResources: config.limitsResources)
        chmod(config.root + "/sprites", 0o700)
        try load()
    }

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    private func load() throws {
        let dir = config.root + "/sprites"
        var loaded: [SpriteRecord] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where Self.validName(name) {
            let layout = SpriteLayout(dir: dir + "/" + name)
            guard let data = FileManager.default.contents(atPath: layout.record),
                var record = try? Self.decoder.decode(SpriteRecord.self, from: data)
            else { continue }
            record.name = name
            loaded.append(record)
        }
        for var record in loaded.sorted(by: { $0.name < $1.name }) {
            if record.slot == nil {
                // a sprite made by an earlier version: it gets a host user of its own now
                record.slot = state.withLock { $0.freeSlot() }
                try? persist(record)
            }
            state.withLock { $0.records[record.name] = record }
            let runtime = makeRuntime(record)
            state.withLock { $0.runtimes[record.name] = runtime }
            // the host (re)starting is the sprites' boot: their services come back on wake
            for service in runtime.serviceList { service.startOnBoot() }
        }
    }

    /// A runtime for `record`, not yet in `state.runtimes` (the caller puts it there). Takes
    /// no lock: `create` calls it in its critical section.
    private func makeRuntime(_ record: SpriteRecord) -> SpriteRuntime {
        let runtime = SpriteRuntime(
            record: record, layout: layout(record.name), platform: platform,
            sessions: sessionBudget, memory: memoryBudget
        ) { [weak self] name in
            guard let self else { return nil }
            return self.state.withLock { $0.resolverOverrides[name.lowercased()] }
        }
        try? runtime.layout.disk?.mount()  // a host's start: its sprites' disks come back
        for spec in record.services { _ = runtime.defineService(spec) }
        runtime.onStatusChange = { [weak self] status in self?.statusChanged(record.name, status) }
        return runtime
    }

    /// The host's way out: every sprite stops, then the host's cgroups go.
    func shutdown() {
        // once: after a stop's grace (`StopWatchdog`) and again when the server has ended; a
        // second caller waits for the first to finish
        stopped.withLock { stopped in
            guard !stopped else { return }
            stopped = true
            for (_, runtime) in all {
                runtime.shutdown()
                runtime.layout.disk?.unmount()
            }
            platform.cgroups?.removeAll()
        }
    }
    private let stopped = Locked(false)

    /// Test hook: the egress proxy resolves `name` to `addresses`.
    func overrideResolution(_ overrides: [String: [String]]) {
        state.withLock { s in
            for (name, addresses) in overrides { s.resolverOverrides[name.lowercased()] = addresses }
        }
    }

    func layout(_ name: String) -> SpriteLayout { SpriteLayout(dir: config.root + "/sprites/" + name) }

    private func persist(_ record: SpriteRecord) throws {
        let data = try Self.encoder.encode(record)
        let path = layout(record.name).record
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        chmod(path, 0o600)  // service definitions may hold forwarded secrets
    }

    private func statusChanged(_ name: String, _ status: SpriteStatus) {
        state.withLock { s in
            guard var r = s.records[name] else { return }
            if status == .running { r.lastRunningAt = Date() }
            if status == .warm { r.lastWarmingAt = Date() }
            s.records[name] = r
            try? persist(r)
        }
    }

    // MARK: sprites

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63 && name.first != "-" && name.last != "-"
            && name.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
    }

    /// Resource bounds of a sprite, in the API's units (cpus, MB of memory, GB of storage).
    static let cpuRange = 1...8
    static let ramRange = 1024...16384
    static let storageRange = 1...1024

    func create(name: String, labels: [String], cpus: Int, ramMB: Int, storageGB: Int) throws -> SpriteRecord {
        guard Self.validName(name) else {
            throw HostError.badRequest("invalid sprite name '\(name.prefix(80))': use 1-63 of a-z, 0-9 and '-'")
        }
        guard Self.cpuRange.contains(cpus) else {
            throw HostError.badRequest("config.cpus must be 1 to 8 (got \(cpus))")
        }
        guard Self.ramRange.contains(ramMB) else {
            throw HostError.badRequest("config.ram_mb must be 1024 to 16384, 1 to 16 GB (got \(ramMB))")
        }
        guard Self.storageRange.contains(storageGB) else {
            throw HostError.badRequest("config.storage_gb must be 1 to 1024 (got \(storageGB))")
        }
        guard labels.count <= 64, labels.allSatisfy({ $0.utf8.count <= 256 }) else {
            throw HostError.badRequest("labels: at most 64, each at most 256 bytes")
        }
        return try state.withLock { s in
            if s.records[name] != nil {
                throw HostError(status: .conflict, code: "sprite_exists", message: "sprite '\(name)' already exists")
            }
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let record = SpriteRecord(
                id: "sprite-" + UUID().uuidString.lowercased(), name: name, labels: labels, urlAuth: "sprite",
                createdAt: now, updatedAt: now, lastRunningAt: nil, lastWarmingAt: nil, ramMB: ramMB, cpus: cpus,
                storageGB: storageGB, policy: [], services: [], checkpoints: [], nextCheckpoint: 0,
                slot: s.freeSlot())
            let owner = platform.account(slot: record.slot ?? 0)
            let dir = self.layout(name).dir
            if platform.disksUnavailable == nil {
                // storage_gb is the sprite's own file system (SpriteDisk), made before anything is written
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                chmod(dir, 0o700)
                try SpriteDisk(spriteDirectory: dir).create(gigabytes: storageGB, owner: owner)
            }
            // (the layout, read now, has the disk just made)
            let layout = self.layout(name)
            do {
                try layout.create(name: name, owner: owner)
            } catch {
                layout.disk?.destroy()
                try? FileManager.default.removeItem(atPath: dir)
                throw error
            }
            try persist(record)
            s.records[name] = record
            s.runtimes[name] = makeRuntime(record)
            return record
        }
    }

    func get(_ name: String) throws -> (SpriteRecord, SpriteRuntime) {
        try state.withLock { s in
            guard let r = s.records[name], let rt = s.runtimes[name] else {
                throw HostError(status: .notFound, code: "not_found", message: "sprite not found: \(name.prefix(80))")
            }
            return (r, rt)
        }
    }

    var all: [(SpriteRecord, SpriteRuntime)] {
        state.withLock { s in
            s.records.keys.sorted().compactMap { n in s.records[n].flatMap { r in s.runtimes[n].map { (r, $0) } } }
        }
    }

    @discardableResult
    func update(_ name: String, _ change: (inout SpriteRecord) throws -> Void) throws -> SpriteRecord {
        try state.withLock { s in
            guard var r = s.records[name] else { throw HostError.notFound("sprite not found: \(name.prefix(80))") }
            try change(&r)
            r.updatedAt = Date()
            try persist(r)
            s.records[name] = r
            return r
        }
    }

    /// Deletes a sprite: its processes end first (blocks until they have), then its files.
    func delete(_ name: String) throws {
        let runtime = try state.withLock { s -> SpriteRuntime? in
            guard s.records.removeValue(forKey: name) != nil else {
                throw HostError.notFound("sprite not found: \(name.prefix(80))")
            }
            return s.runtimes.removeValue(forKey: name)
        }
        runtime?.destroy()
        platform.cgroups?.remove(sprite: name)
    }

    func tick() {
        let now = Date()
        for (_, rt) in all { rt.tick(now: now, warmAfter: config.warmAfter, coldAfter: config.coldAfter) }
    }

    func wire(_ record: SpriteRecord, _ runtime: SpriteRuntime) -> Sprite {
        var sprite = record.wire(status: runtime.status, org: config.organization, baseURL: baseURL)
        sprite.url = urls?.url(of: record.name)
        // not part of the Sprites API (SDKs ignore it): what this host enforces
        sprite.localEnforcement = LocalEnforcement(
            resources: runtime.resourceEnforcement,
            storage: runtime.storageEnforcement(gigabytes: record.storageGB),
            network: runtime.network.enforcement,
            networkPolicies: runtime.network.enforcementByPolicy)
        return sprite
    }
}
