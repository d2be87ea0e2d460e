import Foundation
import GitSpriteCore
import SpriteSync
import SpritesAPI

/// `FakeSprites` with one fault on one call: every call of the API is named (`create app-main`,
/// `run app-main git-sprite-lock`, …) and counted, and the call the fault is aimed at fails the
/// way the real client reports a failure once its own retries are spent. Nothing else changes:
/// every other call goes to the fake as it is.
final class FaultySprites: SpritesService, Sendable {
    enum Kind: String, CaseIterable, Sendable {
        /// The call never reached the API (connection refused): nothing happened.
        case refused
        /// The API answered 503 to every attempt: nothing happened.
        case unavailable
        /// The API answered 429 to every attempt: nothing happened.
        case rateLimited
        /// The call did its work, then the connection broke before its answer (an exec stream
        /// lost before its exit status): it happened, and the command does not know it.
        case answerLost
    }

    /// The `index`th call (from 0) named `name`.
    struct Call: Hashable, Sendable, CustomStringConvertible {
        let name: String
        let index: Int
        var description: String { "\(name) #\(index)" }
    }

    let fake: FakeSprites
    private let state = Locked(State())

    private struct State {
        var fault: (call: Call, kind: Kind)?
        var counts: [String: Int] = [:]
        var calls: [Call] = []
        var fired = false
    }

    init(_ fake: FakeSprites) { self.fake = fake }

    /// Aims the fault (nil: none) and starts counting again.
    func aim(_ fault: (call: Call, kind: Kind)?) {
        state.set(State(fault: fault))
    }

    /// The calls made since the last `aim`, in order.
    var calls: [Call] { state.value.calls }
    /// Whether the fault went off.
    var fired: Bool { state.value.fired }

    func connection() -> Connection { fake.connection(serving: self) }

    /// Runs `body` as the call `name`, unless the fault is aimed at it.
    private func call<T>(_ name: String, stream: Bool = false, _ body: () throws -> T) throws -> T {
        let kind: Kind? = state.withLock { s in
            let call = Call(name: name, index: s.counts[name, default: 0])
            s.counts[name] = call.index + 1
            s.calls.append(call)
            guard let fault = s.fault, fault.call == call else { return nil }
            s.fired = true
            return fault.kind
        }
        guard let kind else { return try body() }
        let path = "/v1/sprites (\(name))"
        switch kind {
        case .refused:
            throw APIError.transport(TransportFailure(kind: .unreachable, message: "Connection refused"))
        case .unavailable:
            throw APIError.http(
                HTTPFailure(status: 503, method: "POST", path: path, message: "service unavailable"))
        case .rateLimited:
            throw APIError.http(HTTPFailure(status: 429, method: "POST", path: path, message: "rate limited"))
        case .answerLost:
            _ = try body()
            if stream { throw APIError.streamLost(sessionID: nil, detail: "connection closed") }
            throw APIError.transport(TransportFailure(kind: .broken, message: "Connection reset by peer"))
        }
    }

    // MARK: SpritesService

    func createSprite(_ spec: SpriteCreation) throws -> Sprite {
        try call("create \(spec.name)") { try fake.createSprite(spec) }
    }
    func getSprite(_ name: String) throws -> Sprite? {
        try call("get \(name)") { try fake.getSprite(name) }
    }
    func listSprites(prefix: String?) throws -> [Sprite] {
        try call("list") { try fake.listSprites(prefix: prefix) }
    }
    func deleteSprite(_ name: String) throws {
        try call("delete \(name)") { try fake.deleteSprite(name) }
    }
    func setNetworkPolicy(_ sprite: String, rules: [PolicyRule]) throws {
        try call("policy \(sprite)") { try fake.setNetworkPolicy(sprite, rules: rules) }
    }
    func run(
        _ sprite: String, _ command: [String], directory: String?, input: Data?, environment: [String: String]
    ) throws -> (status: Int32, stdout: Data, stderr: Data) {
        try call("run \(sprite) \(FakeSprites.shown(command))", stream: true) {
            try fake.run(sprite, command, directory: directory, input: input, environment: environment)
        }
    }
    func exec(
        _ sprite: String, _ request: ExecRequest, input: FileHandle?, inputData: Data?,
        stdout: @escaping (Data) -> Void, stderr: @escaping (Data) -> Void
    ) throws -> Int32 {
        try call("run \(sprite) \(FakeSprites.shown(request.command))", stream: true) {
            try fake.exec(sprite, request, input: input, inputData: inputData, stdout: stdout, stderr: stderr)
        }
    }
    func readFile(_ sprite: String, path: String) throws -> Data {
        try call("read \(sprite) \(path)") { try fake.readFile(sprite, path: path) }
    }
    func writeFile(_ sprite: String, path: String, data: Data, mode: String) throws {
        try call("write \(sprite) \(path)") { try fake.writeFile(sprite, path: path, data: data, mode: mode) }
    }
    func services(_ sprite: String) throws -> [Service] {
        try call("services \(sprite)") { try fake.services(sprite) }
    }
    func putService(
        _ sprite: String, name: String, cmd: String, args: [String], environment: [String: String],
        directory: String?
    ) throws -> [StreamEvent] {
        try call("service \(sprite) \(name)", stream: true) {
            try fake.putService(
                sprite, name: name, cmd: cmd, args: args, environment: environment, directory: directory)
        }
    }
    func deleteService(_ sprite: String, name: String) throws {
        try call("unservice \(sprite) \(name)") { try fake.deleteService(sprite, name: name) }
    }
    func stopService(_ sprite: String, name: String) throws {
        try call("stop \(sprite) \(name)") { try fake.stopService(sprite, name: name) }
    }
    func createCheckpoint(_ sprite: String, comment: String) throws -> String {
        try call("checkpoint \(sprite)", stream: true) { try fake.createCheckpoint(sprite, comment: comment) }
    }
    func listCheckpoints(_ sprite: String) throws -> [Checkpoint] {
        try call("checkpoints \(sprite)") { try fake.listCheckpoints(sprite) }
    }
    func restoreCheckpoint(_ sprite: String, id: String) throws {
        try call("restore \(sprite) \(id)", stream: true) { try fake.restoreCheckpoint(sprite, id: id) }
    }
}
