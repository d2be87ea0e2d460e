import CGit2
import CGit2Startup

/// A failed libgit2 call: the C function, its return code and the message libgit2 recorded.
public struct GitError: Error, CustomStringConvertible, Sendable {
    /// The libgit2 return code (`GIT_ENOTFOUND`, `GIT_EOWNER`, ...).
    public let code: Int32
    /// The libgit2 function that failed.
    public let function: String
    /// libgit2's own message, captured right after the failing call.
    public let message: String

    public var description: String { "\(function): \(message) (\(code))" }

    /// True when libgit2 reported that something does not exist.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    /// True when a file libgit2 writes through a lock (`config.lock`) was locked already.
    public var isLocked: Bool { code == GIT_ELOCKED.rawValue }
    /// True when libgit2 refused a repository owned by another user.
    public var isOwnership: Bool { code == GIT_EOWNER.rawValue }

    /// Captures `git_error_last()` at once, before another call can overwrite it.
    static func last(_ code: Int32, _ function: String) -> GitError {
        var message = "unknown error"
        if let err = git_error_last(), let text = err.pointee.message {
            message = String(cString: text)
        }
        return GitError(code: code, function: function, message: message)
    }
}

/// The single place where libgit2 return codes become Swift errors.
@inline(__always)
func check(_ rc: Int32, _ function: String) throws {
    if rc < 0 { throw GitError.last(rc, function) }
}

/// Initialises libgit2 once per process; every entry point of this module touches it first.
public enum GitLibrary {
    /// Why libgit2 could not start (its TLS stream seeds a random generator from the kernel's,
    /// and a process refused both getrandom and /dev/urandom cannot): nil once it has.
    static let initialized: GitError? = {
        let rc = git_libgit2_init()
        return rc < 0 ? GitError.last(rc, "git_libgit2_init") : nil
    }()

    static func ensure() { _ = initialized }

    /// Throws why libgit2 could not start: a half-started libgit2 has no pack cache, and the
    /// first repository with a pack would crash it.
    static func ready() throws {
        if let failure = initialized { throw failure }
    }

    /// How many CA bundles libgit2's initialisation asked for and did not get parsed
    /// (`Sources/CGit2Startup/linking.c`): at least one once libgit2 is initialised, where
    /// libgit2 is built with mbedTLS.
    public static var caLoadsDeclined: Int {
        ensure()
        return Int(git_sprite_ca_loads_declined())
    }

    /// How many times mbedTLS's HAVEGE entropy source was polled and answered from the kernel's
    /// generator instead (`linking.c`): at least one once libgit2 has seeded its DRBG.
    public static var kernelEntropyPolls: Int {
        ensure()
        return Int(git_sprite_kernel_entropy_polls())
    }
}

/// Copies a `git_buf` into a Swift string and releases the buffer.
func consume(_ buf: inout git_buf) -> String {
    defer { git_buf_dispose(&buf) }
    guard let ptr = buf.ptr else { return "" }
    return String(cString: ptr)
}
