import Foundation

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

    public init(root: String, token: String, warmAfter: TimeInterval = 30, coldAfter: TimeInterval = 300,
                testHooks: Bool = false, organization: String = "local") {
        self.root = root
        self.token = token
        self.warmAfter = warmAfter
        self.coldAfter = coldAfter
        self.testHooks = testHooks
        self.organization = organization
    }
}

/// All sprites of the host: records persisted on disk, runtimes in memory.
final class HostState: @unchecked Sendable {
    let config: HostConfiguration
    let identity: HostIdentity
    private let lock = NSLock()
    private var records: [String: SpriteRecord] = [:]
    private var runtimes: [String: SpriteRuntime] = [:]
    var baseURL = ""

    init(config: HostConfiguration) throws {
        self.config = config
        let bwrap = ["/usr/bin/bwrap", "/usr/local/bin/bwrap"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let bwrap else {
            throw HostError.internalError("bubblewrap (bwrap) is not installed; install it: apt-get install bubblewrap")
        }
        let idFile = config.root + "/host-id"
        try FileManager.default.createDirectory(atPath: config.root + "/sprites", withIntermediateDirectories: true)
        chmod(config.root, 0o700)
        var id = (try? String(contentsOfFile: idFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if id?.isEmpty ?? true {
            id = UUID().uuidString.lowercased()
            try id!.write(toFile: idFile, atomically: true, encoding: .utf8)
        }
        let nsenter = ["/usr/bin/nsenter", "/bin/nsenter"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        identity = HostIdentity(id: id!, bwrap: bwrap, nsenter: nsenter, initCommand: [me, "reap"])
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
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let layout = SpriteLayout(dir: dir + "/" + name)
            guard let data = FileManager.default.contents(atPath: layout.record),
                  let record = try? Self.decoder.decode(SpriteRecord.self, from: data) else { continue }
            records[name] = record
            let runtime = makeRuntime(record)
            // whatever an earlier host process left running belongs to a sprite that is now cold
            runtime.killStragglers()
        }
    }

    private func makeRuntime(_ record: SpriteRecord) -> SpriteRuntime {
        let runtime = SpriteRuntime(name: record.name, layout: layout(record.name), host: identity)
        runtime.blockNetwork = Self.blocksNetwork(record.policy)
        for spec in record.services { _ = runtime.defineService(spec) }
        runtime.onStatusChange = { [weak self] status in self?.statusChanged(record.name, status) }
        runtimes[record.name] = runtime
        return runtime
    }

    /// A policy blocks the network when it denies `*` and allows nothing.
    static func blocksNetwork(_ rules: [PolicyRule]) -> Bool {
        rules.contains { $0.domain == "*" && $0.action == "deny" }
            && !rules.contains { $0.action == "allow" || $0.include != nil }
    }

    func layout(_ name: String) -> SpriteLayout { SpriteLayout(dir: config.root + "/sprites/" + name) }

    private func persist(_ record: SpriteRecord) throws {
        let data = try Self.encoder.encode(record)
        let path = layout(record.name).record
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        chmod(path, 0o600)  // service definitions may hold forwarded secrets
    }

    private func statusChanged(_ name: String, _ status: String) {
        lock.lock()
        defer { lock.unlock() }
        guard var r = records[name] else { return }
        if status == "running" { r.lastRunningAt = Date() }
        if status == "warm" { r.lastWarmingAt = Date() }
        records[name] = r
        try? persist(r)
    }

    // MARK: sprites

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63 && name.first != "-" && name.last != "-"
            && name.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }
    }

    func create(name: String, labels: [String], cpus: Int, ramMB: Int, storageGB: Int) throws -> SpriteRecord {
        guard Self.validName(name) else {
            throw HostError.badRequest("invalid sprite name '\(name)': use 1-63 of a-z, 0-9 and '-'")
        }
        lock.lock()
        defer { lock.unlock() }
        if records[name] != nil {
            throw HostError(status: .conflict, code: "sprite_exists", message: "sprite '\(name)' already exists")
        }
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let record = SpriteRecord(
            id: "sprite-" + UUID().uuidString.lowercased(), name: name, labels: labels, urlAuth: "sprite",
            createdAt: now, updatedAt: now, lastRunningAt: nil, lastWarmingAt: nil, ramMB: ramMB, cpus: cpus,
            storageGB: storageGB, policy: [], services: [], checkpoints: [], nextCheckpoint: 0)
        try layout(name).create()
        try persist(record)
        records[name] = record
        _ = makeRuntime(record)
        return record
    }

    func get(_ name: String) throws -> (SpriteRecord, SpriteRuntime) {
        lock.lock()
        defer { lock.unlock() }
        guard let r = records[name], let rt = runtimes[name] else {
            throw HostError(status: .notFound, code: "not_found", message: "sprite not found: \(name)")
        }
        return (r, rt)
    }

    var all: [(SpriteRecord, SpriteRuntime)] {
        lock.lock()
        defer { lock.unlock() }
        return records.keys.sorted().compactMap { n in records[n].flatMap { r in runtimes[n].map { (r, $0) } } }
    }

    @discardableResult
    func update(_ name: String, _ change: (inout SpriteRecord) throws -> Void) throws -> SpriteRecord {
        lock.lock()
        defer { lock.unlock() }
        guard var r = records[name] else { throw HostError.notFound("sprite not found: \(name)") }
        try change(&r)
        r.updatedAt = Date()
        try persist(r)
        records[name] = r
        runtimes[name]?.blockNetwork = Self.blocksNetwork(r.policy)
        return r
    }

    func delete(_ name: String) throws {
        lock.lock()
        guard records.removeValue(forKey: name) != nil else {
            lock.unlock()
            throw HostError.notFound("sprite not found: \(name)")
        }
        let runtime = runtimes.removeValue(forKey: name)
        lock.unlock()
        runtime?.shutdown()
        try? FileManager.default.removeItem(atPath: layout(name).dir)
    }

    func tick() {
        let now = Date()
        for (_, rt) in all { rt.tick(now: now, warmAfter: config.warmAfter, coldAfter: config.coldAfter) }
    }

    func json(_ record: SpriteRecord, _ runtime: SpriteRuntime) -> [String: Any] {
        record.json(status: runtime.status, org: config.organization, baseURL: baseURL)
    }
}
