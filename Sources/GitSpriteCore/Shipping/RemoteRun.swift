import Foundation
import SpriteGit
import SpriteHTTP
import SpriteSync
import SpritesAPI

extension Shipper {
    /// Runs an in-sprite script (inline or on stdin, as its length asks) and returns its stdout.
    func remoteRun(
        _ script: InSpriteScript, _ args: [String], in dir: String = SpritePaths.home, what: String
    ) throws -> String {
        let (argv, input) = script.invocation(args)
        return try remoteRun(argv, in: dir, input: input, what: what)
    }

    /// Runs an in-sprite script, answering nil when it exits with `status` (see
    /// `remoteRun(_:in:input:what:nilOnExit:)`).
    func remoteRun(_ script: InSpriteScript, _ args: [String], what: String, nilOnExit status: Int32) throws -> String?
    {
        let (argv, input) = script.invocation(args)
        return try remoteRun(argv, input: input, what: what, nilOnExit: status)
    }
}

extension SpritesService {
    /// Runs an in-sprite script (inline or on stdin, as its length asks).
    func run(
        _ sprite: String, _ script: InSpriteScript, _ args: [String], directory: String? = nil
    ) throws
        -> (status: Int32, stdout: Data, stderr: Data)
    {
        let (argv, input) = script.invocation(args)
        return try run(sprite, argv, directory: directory, input: input, environment: [:])
    }
}
