import Foundation

/// Everything a use case needs from the outside world, built once by a command's `run()`:
/// the environment and working directory, the standard streams (`terminal`), the Sprites API
/// (`connect`) and the clock. Tests build one with their own streams, an in-memory API and a
/// clock that does not wait, and run a use case in-process. Nothing has a default: a context
/// that forgot its API or its clock does not compile, so no test reaches a real service or
/// waits on the wall clock by accident (`Context.process` is the real world).
public struct Context: Sendable {
    public var environment: [String: String]
    public var currentDirectory: String
    public let terminal: Terminal
    public var verbose: Bool
    public var quiet: Bool
    /// Opens the Sprites API the settings name (the real one: `Connection.init(settings:context:)`).
    public var connect: @Sendable (Settings, Context) throws -> Connection
    public var clock: Clock

    public init(
        environment: [String: String], currentDirectory: String, terminal: Terminal,
        verbose: Bool = false, quiet: Bool = false,
        connect: @escaping @Sendable (Settings, Context) throws -> Connection, clock: Clock
    ) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.terminal = terminal
        self.verbose = verbose
        self.quiet = quiet
        self.connect = connect
        self.clock = clock
    }

    /// The real process environment.
    public static func process(verbose: Bool = false, quiet: Bool = false) -> Context {
        let env = processEnvironment()
        return Context(
            environment: env, currentDirectory: FileManager.default.currentDirectoryPath,
            terminal: Terminal(environment: env), verbose: verbose, quiet: quiet,
            connect: { try Connection(settings: $0, context: $1) }, clock: .system)
    }
}

/// Time as the use cases see it: the real clock, or a test's that does not wait.
public struct Clock: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (TimeInterval) -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (TimeInterval) -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = Clock(now: { Date() }, sleep: { Thread.sleep(forTimeInterval: $0) })
}

/// The process's environment, read from `environ` (or `entries`, NULL-terminated) as `getenv`
/// reads it (the first of two entries with one name wins; one without `=` is not a variable).
/// `ProcessInfo.processInfo.environment` takes 0.4 ms of every command's start on its first
/// use; this, a few microseconds.
func processEnvironment(_ entries: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environ) -> [String: String] {
    var environment: [String: String] = [:]
    var entry = entries
    // split at the first "=" byte (Character by Character, the split cost 0.1 ms per start),
    // each part copied as it is (the generic String(decoding:as:) looked up conformances)
    func text(_ start: UnsafePointer<CChar>, _ count: Int) -> String {
        guard count > 0 else { return "" }
        return String(unsafeUninitializedCapacity: count) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            UnsafeMutableRawPointer(base).copyMemory(from: start, byteCount: count)
            return count
        }
    }
    while let pointer = entry.pointee {
        entry += 1
        guard let equals = strchr(pointer, Int32(UInt8(ascii: "="))) else { continue }
        let key = text(pointer, equals - pointer)
        guard environment[key] == nil else { continue }
        environment[key] = text(equals + 1, strlen(equals + 1))
    }
    return environment
}
