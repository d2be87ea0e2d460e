import Foundation

/// Everything a use case needs from the outside world, built once by a command's `run()`.
public struct Context {
    public var environment: [String: String]
    public var currentDirectory: String
    public let terminal: Terminal
    public var verbose: Bool
    public var quiet: Bool

    public init(environment: [String: String], currentDirectory: String, terminal: Terminal,
                verbose: Bool = false, quiet: Bool = false) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.terminal = terminal
        self.verbose = verbose
        self.quiet = quiet
    }

    /// The real process environment.
    public static func process(verbose: Bool = false, quiet: Bool = false) -> Context {
        let env = ProcessInfo.processInfo.environment
        return Context(environment: env, currentDirectory: FileManager.default.currentDirectoryPath,
                       terminal: Terminal(environment: env), verbose: verbose, quiet: quiet)
    }
}
