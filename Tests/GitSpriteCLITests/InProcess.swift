import Foundation
import GitSpriteCLI
import GitSpriteCore
import SpriteSync
import TestSupport

/// `git sprite …` run inside the test process: the same parse, command and error handling as
/// the binary (`GitSpriteMain.execute`), with the sandbox's environment and working directory
/// handed over in a `Context` and both streams captured. Nothing here reads the process's own
/// environment or directory: git config comes from the files that environment names
/// (`ConfigFiles`), so tests running side by side each see their own.
extension Sandbox {
    func spriteInProcess(
        _ args: [String], in dir: String? = nil, gitArgs: [String] = [], env: [String: String] = [:],
        unset: [String] = []
    ) throws -> RunResult {
        var environment = self.environment.merging(env) { $1 }
        for name in unset { environment[name] = nil }
        var directory = dir ?? root
        // what git does before it runs a subcommand: `-C` moves, `-c` goes into the environment
        var parameters: [String] = environment["GIT_CONFIG_PARAMETERS"].map { [$0] } ?? []
        var rest = gitArgs[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw CocoaError(.featureUnsupported) }
            switch flag {
            case "-C": directory = value.hasPrefix("/") ? value : directory + "/" + value
            case "-c":
                let (key, text) = value.split(separator: "=", maxSplits: 1).map(String.init).pair
                parameters.append(Self.quoted(key) + (text.map { "=" + Self.quoted($0) } ?? ""))
            default: throw CocoaError(.featureUnsupported)
            }
        }
        if !parameters.isEmpty { environment["GIT_CONFIG_PARAMETERS"] = parameters.joined(separator: " ") }
        let out = Locked(Data()), err = Locked(Data())
        let terminal = Terminal(
            environment: environment,
            stdout: OutputSink(write: { data in out.withLock { $0.append(data) } }),
            stderr: OutputSink(write: { data in err.withLock { $0.append(data) } }))
        let context = Context(
            environment: environment, currentDirectory: directory, terminal: terminal,
            connect: { try Connection(settings: $0, context: $1) }, clock: .system)
        let status = GitSpriteMain.execute(GitSpriteMain.arguments(args), context: context)
        return RunResult(
            stdout: String(decoding: out.value, as: UTF8.self), stderr: String(decoding: err.value, as: UTF8.self),
            status: status)
    }

    /// git's quoting of a word in `GIT_CONFIG_PARAMETERS`.
    private static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

extension Array where Element == String {
    fileprivate var pair: (String, String?) { (self[0], count > 1 ? self[1] : nil) }
}
