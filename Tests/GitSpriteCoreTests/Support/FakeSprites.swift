import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI

/// An in-memory Sprites API whose sprites are directories of this machine: `/home/sprite` of
/// sprite `box` is `<root>/box/home`. Commands run with `sh` and `git` there, with every
/// argument that is a sprite path translated, so the in-sprite scripts and the pushes of `up`
/// run for real against a fake that starts no server and none of our binaries. Failures are
/// scripted: `onRun` may answer any command instead of running it.
final class FakeSprites: SpritesService, @unchecked Sendable {
    let root: String
    private struct State {
        var sprites: [String: Sprite] = [:]
        var policies: [String: [PolicyRule]] = [:]
        var definedServices: [String: [String: Service]] = [:]
        var calls: [String] = []
        var checkpoints: [String: [Checkpoint]] = [:]
    }
    private let state = Locked(State())
    var policies: [String: [PolicyRule]] { state.value.policies }
    /// What was asked, in order: `create box`, `run box git-sprite-probe`, `policy box`, …
    var calls: [String] { state.value.calls }
    /// Answers a command (sprite, argv) instead of running it; nil lets it run.
    var onRun: ((String, [String]) -> (status: Int32, stdout: Data, stderr: Data)?)?
    /// Called with the name before a lookup answers (a test may hold the answer back).
    var onGet: ((String) -> Void)?
    /// Called before a command of an existing sprite runs, with its input; what it throws is
    /// the exec's failure (a stream lost, say), and the command does not run.
    var onExec: ((String, ExecRequest, FileHandle?) throws -> Void)?
    /// Makes setting a network policy fail.
    var policyFailure: Error?
    /// What the agent's supervisor would record when the agent ends at once.
    var agentFailure: String?
    /// A create that asks for resources is refused with a 400, as a service where they are
    /// "not configurable yet" may answer.
    var refusesResources = false
    /// Every create is refused with this (a 400 that is not about the name, say).
    var createRefusal: HTTPFailure?

    init(root: String) {
        self.root = root
    }

    /// Where a sprite path lives on this machine.
    func local(_ sprite: String, _ path: String) -> String {
        let home = root + "/" + sprite + "/home"
        if path == SpritePaths.home { return home }
        if path.hasPrefix(SpritePaths.home + "/") { return home + path.dropFirst(SpritePaths.home.count) }
        return path
    }

    /// A connection to this fake, with pushes and fetches going to the sprite's directories.
    /// A connection to this fake (or to `service`, a decorator of it), with pushes and fetches
    /// going to the sprite's directories.
    func connection(serving service: (any SpritesService)? = nil) -> Connection {
        Connection(service: service ?? self, apiURL: "fake://sprites", token: "fake-token") { [root] sprite, path in
            FakeSprites(root: root).local(sprite, path)
        }
    }

    /// How a command is named in `calls`: a script by its $0, a command by itself.
    static func shown(_ command: [String]) -> String {
        command.count > 3 && command[0] == "sh" && command[1] == "-c" ? command[3] : command.first ?? ""
    }

    private func record(_ call: String) {
        state.withLock { $0.calls.append(call) }
    }

    /// Adds a sprite as if another tool (or another repository) had made it.
    func add(_ sprite: Sprite) {
        state.withLock { $0.sprites[sprite.name] = sprite }
        try? FileManager.default.createDirectory(
            atPath: local(sprite.name, SpritePaths.home), withIntermediateDirectories: true)
    }

    // MARK: SpritesService

    /// A checkpoint is a copy of the sprite's home.
    func createCheckpoint(_ sprite: String, comment: String) throws -> String {
        record("checkpoint \(sprite)")
        let id = state.withLock { s in
            let n = s.checkpoints[sprite]?.count ?? 0
            s.checkpoints[sprite, default: []].insert(
                Checkpoint(id: "v\(n)", createTime: "2026-01-01T00:00:0\(n)Z", comment: comment), at: 0)
            return "v\(n)"
        }
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-a", local(sprite, SpritePaths.home), root + "/" + sprite + "/checkpoint-" + id]
        try copy.runToExit()
        return id
    }

    func listCheckpoints(_ sprite: String) throws -> [Checkpoint] {
        record("checkpoints \(sprite)")
        return state.value.checkpoints[sprite] ?? []
    }

    func restoreCheckpoint(_ sprite: String, id: String) throws {
        record("restore \(sprite) \(id)")
        let saved = root + "/" + sprite + "/checkpoint-" + id
        guard FileManager.default.fileExists(atPath: saved) else {
            throw APIError.http(
                HTTPFailure(
                    status: 404, method: "POST", path: "/checkpoints/\(id)/restore", code: "not_found",
                    message: "checkpoint not found"))
        }
        try FileManager.default.removeItem(atPath: local(sprite, SpritePaths.home))
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-a", saved, local(sprite, SpritePaths.home)]
        try copy.runToExit()
    }

    func createSprite(_ spec: SpriteCreation) throws -> Sprite {
        record("create \(spec.name)")
        if let createRefusal { throw APIError.http(createRefusal) }
        if refusesResources && (spec.cpus != nil || spec.ramMB != nil) {
            throw APIError.http(
                HTTPFailure(
                    status: 400, method: "POST", path: "/v1/sprites",
                    message: "config is not configurable yet"))
        }
        var sprite = Sprite(name: spec.name)
        sprite.labels = spec.labels
        sprite.status = .cold
        let made = state.withLock { s in
            if s.sprites[spec.name] != nil { return false }
            s.sprites[spec.name] = sprite
            return true
        }
        if !made {
            throw APIError.http(
                HTTPFailure(
                    status: 409, method: "POST", path: "/v1/sprites", code: "conflict",
                    message: "sprite \(spec.name) already exists"))
        }
        try FileManager.default.createDirectory(
            atPath: local(spec.name, SpritePaths.home), withIntermediateDirectories: true)
        return sprite
    }

    func getSprite(_ name: String) throws -> Sprite? {
        record("get \(name)")
        onGet?(name)
        return state.value.sprites[name]
    }

    func listSprites(prefix: String?) throws -> [Sprite] {
        record("list")
        return state.value.sprites.values.filter { $0.name.hasPrefix(prefix ?? "") }.sorted { $0.name < $1.name }
    }

    func deleteSprite(_ name: String) throws {
        record("delete \(name)")
        state.withLock { _ = $0.sprites.removeValue(forKey: name) }
        try? FileManager.default.removeItem(atPath: root + "/" + name)
    }

    func setNetworkPolicy(_ sprite: String, rules: [PolicyRule]) throws {
        record("policy \(sprite)")
        if let policyFailure { throw policyFailure }
        state.withLock { $0.policies[sprite] = rules }
    }

    func run(
        _ sprite: String, _ command: [String], directory: String?, input: Data?,
        environment: [String: String]
    ) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let out = Locked(Data()), err = Locked(Data())
        let status = try exec(
            sprite, ExecRequest(command: command, environment: environment, directory: directory), input: nil,
            inputData: input, stdout: { data in out.withLock { $0.append(data) } },
            stderr: { data in err.withLock { $0.append(data) } })
        return (status, out.value, err.value)
    }

    /// Runs the command here, in the sprite's directory, as the API would: stdin from
    /// `inputData` then `input` (a command that holds the lock reads it until it ends), stdout
    /// handed on as it comes (the lock's holder says `locked` long before it exits).
    func exec(
        _ sprite: String, _ request: ExecRequest, input: FileHandle?, inputData: Data?,
        stdout: @escaping (Data) -> Void, stderr: @escaping (Data) -> Void
    ) throws -> Int32 {
        let command = request.command
        // a script is named by its $0, a command by itself
        record("run \(sprite) \(Self.shown(command))")
        // as the API answers: there is no sprite to run it in
        guard state.value.sprites[sprite] != nil else {
            throw APIError.http(
                HTTPFailure(
                    status: 404, method: "GET", path: "/v1/sprites/\(sprite)/exec", code: "not_found",
                    message: "sprite not found"))
        }
        try onExec?(sprite, request, input)
        if let answer = onRun?(sprite, command) {
            stdout(answer.stdout)
            stderr(answer.stderr)
            return answer.status
        }
        let dir = local(sprite, request.directory ?? SpritePaths.home)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": local(sprite, SpritePaths.home), "GIT_CONFIG_NOSYSTEM": "1",
            "LANG": "C.UTF-8",
        ].merging(request.environment) { $1 }
        let argv = command.map { local(sprite, $0) }
        let out = try ChildPipe(), err = try ChildPipe()
        let feed = input != nil || inputData != nil ? try ChildPipe() : nil
        let child = try SpawnedChild.start(
            argv.first ?? "true", Array(argv.dropFirst()), environment: environment, directory: dir,
            stdin: feed?.read, stdout: out.write, stderr: err.write)
        out.closeWrite()
        err.closeWrite()
        if let feed {
            feed.closeRead()
            Self.pump(inputData, input, into: feed.writing)
        }
        let errData = err.readToEndInBackground()
        while true {
            let chunk = out.reading.availableData
            if chunk.isEmpty { break }
            stdout(chunk)
        }
        let errors = errData()
        let status = child.wait()
        stderr(errors)
        return status
    }

    /// Writes `data`, then what `handle` gives until it ends, into `sink`, and closes it; a
    /// command that exits first ends the copy (SIGPIPE is blocked on the copying thread, so
    /// the write fails instead of killing the test process).
    private static func pump(_ data: Data?, _ handle: FileHandle?, into sink: FileHandle) {
        Thread {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            defer { try? sink.close() }
            if let data, (try? sink.write(contentsOf: data)) == nil { return }
            while let handle {
                let chunk = handle.availableData
                if chunk.isEmpty || (try? sink.write(contentsOf: chunk)) == nil { return }
            }
        }.start()
    }

    func readFile(_ sprite: String, path: String) throws -> Data {
        record("read \(sprite) \(path)")
        guard let data = FileManager.default.contents(atPath: local(sprite, path)) else {
            throw APIError.malformed("no such file: \(path)")
        }
        return data
    }

    func writeFile(_ sprite: String, path: String, data: Data, mode: String) throws {
        record("write \(sprite) \(path)")
        let target = local(sprite, path)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: target))
    }

    func services(_ sprite: String) throws -> [Service] {
        Array((state.value.definedServices[sprite] ?? [:]).values)
    }

    func putService(
        _ sprite: String, name: String, cmd: String, args: [String], environment: [String: String],
        directory: String?
    ) throws -> [StreamEvent] {
        record("service \(sprite) \(name)")
        let running = ServiceState(name: name, status: "running", pid: 42, startedAt: nil, error: nil, restartCount: 0)
        let service = Service(
            name: name, definition: ServiceDefinition(cmd: cmd, args: args),
            state: running)
        state.withLock { $0.definedServices[sprite, default: [:]][name] = service }
        if let agentFailure {
            try writeFile(
                sprite, path: SpritePaths.state + "/agent.failed", data: Data(agentFailure.utf8), mode: "0644")
        }
        return [StreamEvent(type: "started", pid: 42)]
    }

    func deleteService(_ sprite: String, name: String) throws {
        record("unservice \(sprite) \(name)")
        state.withLock { _ = $0.definedServices[sprite]?.removeValue(forKey: name) }
    }

    func stopService(_ sprite: String, name: String) throws {
        record("stop \(sprite) \(name)")
    }
}
