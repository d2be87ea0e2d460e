import CTerminal
import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn` (`git_sprite_spawn`), for the commands
/// git-sprite starts most (git) and waits on.
///
/// Not Foundation's `Process`, which on Linux closes in the child only the descriptors it
/// found open a moment before the spawn: a pipe or socket another thread opened meanwhile
/// leaked into the child, and a long-lived child then held another child's pipe open, or the
/// socket through which Foundation learns of that child's end, so the other's wait never
/// ended (seen as a test run hung on a zombie `git`). Here every descriptor but the three
/// given is closed as the child starts, and the wait is `waitpid` itself: none of the 50 ms
/// steps of `waitUntilExit`, no thread in between.
///
/// A running child is recorded for Ctrl-C (`interruptChildren`: Ctrl-C reaches our process
/// group only, and each child has one of its own), or passed by when it is left alone.
public struct SpawnedChild: Sendable {
    public let pid: pid_t
    let leftAlone: Bool

    /// Starts `program` (found on `environment`'s PATH, else through `env`) with `arguments`,
    /// in `directory`, its stdin `stdin` (/dev/null when nil) and its output into the given
    /// descriptors.
    ///
    /// `leftAlone`: Ctrl-C passes it by, and it finishes on its own, after us if need be. For
    /// the short local git commands that write a ref, an index or work tree files: git removes
    /// its lock (`refs/…/x.lock`, `index.lock`) when a signal arrives only once it has set its
    /// handlers, which it does after it has made the lock; Ctrl-C in between left the lock,
    /// and every later `up` failed on it ("Unable to create '….lock': File exists"). Such a
    /// child is marked in its environment too (`GIT_SPRITE_FINISHES_ALONE=1`): it is recorded
    /// only once the spawn has returned, and an interrupt in the moment before would otherwise
    /// find it among our unrecorded children and stop it.
    public static func start(
        _ program: String, _ arguments: [String], environment: [String: String], directory: String?,
        stdin: Int32? = nil, stdout: Int32, stderr: Int32, leftAlone: Bool = false
    ) throws -> SpawnedChild {
        var env = environment
        // the mark is ours to give: never inherited from our own environment
        env[finishesAloneVariable] = leftAlone ? "1" : nil
        let (path, rest) = ExecutableSearch.command(program, arguments, path: env["PATH"])
        let argv = [path] + rest
        let input = stdin ?? open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if stdin == nil, input >= 0 { close(input) } }
        // After Ctrl-C nothing new starts: the handler only waits for the children left alone
        // before it exits, and a thread that went on meanwhile started the next step's git (a
        // push), which nothing stopped and which outlived us. And no handler runs between the
        // spawn and the child's record: one that looked for children while the new one was
        // not yet in a group of its own (the spawn's own child, before it execs), and ended the
        // process before this thread recorded it, left that git running alone. The spawn is
        // one step no signal cuts: the handler waits for it, then finds the child recorded.
        var saved = sigset_t()
        git_sprite_unbroken_begin(&saved)
        let spawned = Result<pid_t, any Error> {
            try withCStrings(argv) { argv in
                try withCStrings(env.map { $0.key + "=" + $0.value }) { envp in
                    let rc = git_sprite_spawn(path, argv, envp, directory, input, stdout, stderr)
                    if rc < 0 {
                        throw SpriteError("cannot start \(program): \(Self.reason(-rc, directory: directory))")
                    }
                    return pid_t(rc)
                }
            }
        }
        if case .success(let pid) = spawned {
            if leftAlone { git_sprite_child_left_alone(pid) } else { git_sprite_child_started(pid) }
        }
        git_sprite_unbroken_end(&saved)
        let pid = try spawned.get()
        // (the handler waits for the step above only so long: one that gave up on it may have
        // looked for children before this one was recorded, so it is stopped here; one left
        // alone finishes, and the handler waits for it as for the others)
        if git_sprite_interrupted() != 0 {
            if !leftAlone {
                kill(-pid, SIGINT)
                kill(pid, SIGINT)
            }
            git_sprite_hold_if_interrupted()
        }
        return SpawnedChild(pid: pid, leftAlone: leftAlone)
    }

    /// Why a spawn failed: the system's words, or the working directory that is not there
    /// (which the system calls "No such file or directory" as if the program were missing).
    static func reason(_ code: Int32, directory: String?) -> String {
        if code == ENOENT, let directory, !FileManager.default.fileExists(atPath: directory) {
            return "its working directory \(directory) does not exist"
        }
        return String(cString: strerror(code))
    }

    /// Waits for the child to end: its exit status, or the number of the signal that ended it.
    public func wait() -> Int32 {
        git_sprite_wait(pid, leftAlone ? -pid : pid)
    }

    /// Runs `program` to its end and returns its status and everything it wrote.
    public static func capture(
        _ program: String, _ arguments: [String], environment: [String: String], directory: String?,
        leftAlone: Bool = false
    ) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let out = try ChildPipe(), err = try ChildPipe()
        let child = try start(
            program, arguments, environment: environment, directory: directory, stdout: out.write, stderr: err.write,
            leftAlone: leftAlone)
        out.closeWrite()
        err.closeWrite()
        let errData = err.readToEndInBackground()
        let outData = out.reading.readDataToEndOfFile()
        return (child.wait(), outData, errData())
    }

    /// Hands `strings` to `body` as a NULL-terminated C array, freed afterwards.
    static func withCStrings<T>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> T
    ) rethrows -> T {
        let copies = strings.map { strdup($0) } + [nil]
        defer { for copy in copies { free(copy) } }
        return try copies.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}

/// A pipe for a child's stdin or output: both ends close on exec, so neither leaks into any
/// child (the spawn hands the child its own copy of its end).
public final class ChildPipe: Sendable {
    public let reading: FileHandle
    public let writing: FileHandle
    public var read: Int32 { reading.fileDescriptor }
    public var write: Int32 { writing.fileDescriptor }

    public init() throws {
        var fds: [Int32] = [-1, -1]
        let rc = git_sprite_pipe(&fds)
        guard rc == 0 else { throw SpriteError("cannot make a pipe: \(String(cString: strerror(-rc)))") }
        reading = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        writing = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
    }

    /// Reads the pipe to its end on another thread (so a child that fills one pipe while we
    /// read the other never stalls); the function returned waits for that and returns it all.
    public func readToEndInBackground() -> () -> Data {
        let all = InBackground { [reading] in reading.readDataToEndOfFile() }
        return { all.value }
    }

    /// Closes our copy of the write end (the child has its own), so the reader sees the end.
    public func closeWrite() { try? writing.close() }
    /// Closes our copy of the read end (a child reading its stdin has its own).
    public func closeRead() { try? reading.close() }
}

/// Set to 1 in the environment of a child Ctrl-C leaves to finish: the interrupt reads it in
/// /proc (`git_sprite_signal_children`) for a child it finds before the child is recorded.
let finishesAloneVariable = "GIT_SPRITE_FINISHES_ALONE"
