import Foundation

/// What git-sprite's use cases ask of the Sprites API. `SpritesClient` (libcurl, the real
/// service) is one implementation; tests hold an in-memory one, so the decisions of `up`,
/// `down` and `status` are tested without a server. Streams (attach, the remote helper) need
/// the real client and are not part of it.
public protocol SpritesService: AnyObject, Sendable {
    func createSprite(_ spec: SpriteCreation) throws -> Sprite
    func getSprite(_ name: String) throws -> Sprite?
    func listSprites(prefix: String?) throws -> [Sprite]
    func deleteSprite(_ name: String) throws
    func setNetworkPolicy(_ sprite: String, rules: [PolicyRule]) throws
    /// Runs a command to completion and collects its output (for short commands).
    func run(
        _ sprite: String, _ command: [String], directory: String?, input: Data?,
        environment: [String: String]
    ) throws -> (status: Int32, stdout: Data, stderr: Data)
    /// Runs a command, streaming stdin from `input` or `inputData` and output to the callbacks.
    func exec(
        _ sprite: String, _ request: ExecRequest, input: FileHandle?, inputData: Data?,
        stdout: @escaping (Data) -> Void, stderr: @escaping (Data) -> Void
    ) throws -> Int32
    /// As `exec`, with `opened` handed the stream once it is open (to pass Ctrl-C on to the
    /// command); an implementation without streams runs `exec`.
    func exec(
        _ sprite: String, _ request: ExecRequest, input: FileHandle?, inputData: Data?,
        stdout: @escaping (Data) -> Void, stderr: @escaping (Data) -> Void,
        opened: @escaping (ExecStream) -> Void
    ) throws -> Int32
    func readFile(_ sprite: String, path: String) throws -> Data
    func writeFile(_ sprite: String, path: String, data: Data, mode: String) throws
    func services(_ sprite: String) throws -> [Service]
    @discardableResult
    func putService(
        _ sprite: String, name: String, cmd: String, args: [String], environment: [String: String],
        directory: String?
    ) throws -> [StreamEvent]
    func deleteService(_ sprite: String, name: String) throws
    func stopService(_ sprite: String, name: String) throws
    /// Creates a checkpoint of the sprite's disk; returns its id.
    func createCheckpoint(_ sprite: String, comment: String) throws -> String
    /// Checkpoints, newest first.
    func listCheckpoints(_ sprite: String) throws -> [Checkpoint]
    /// Puts the sprite's disk back as the checkpoint had it; every session in the sprite ends.
    func restoreCheckpoint(_ sprite: String, id: String) throws
}

extension SpritesService {
    /// Runs a command with no input, in `directory` (default: the sprite's home).
    public func run(
        _ sprite: String, _ command: [String], directory: String? = nil
    ) throws
        -> (status: Int32, stdout: Data, stderr: Data)
    {
        try run(sprite, command, directory: directory, input: nil, environment: [:])
    }

    public func listSprites() throws -> [Sprite] { try listSprites(prefix: nil) }

    public func exec(
        _ sprite: String, _ request: ExecRequest, input: FileHandle?, inputData: Data?,
        stdout: @escaping (Data) -> Void, stderr: @escaping (Data) -> Void,
        opened: @escaping (ExecStream) -> Void
    ) throws -> Int32 {
        try exec(sprite, request, input: input, inputData: inputData, stdout: stdout, stderr: stderr)
    }

    public func writeFile(_ sprite: String, path: String, data: Data) throws {
        try writeFile(sprite, path: path, data: data, mode: "0644")
    }
}

extension SpritesClient: SpritesService {}
