import CSpriteHost
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The descriptors between the host and a child about to start: the child's ends (closed
/// here once it has them) and ours (the output to read, the input to write, the control
/// socket a terminal comes back on).
struct SpawnPlumbing {
    var readers: [(Int32, OutputStream)] = []
    var keep: [Int32]
    var stdinFD: Int32 = -1
    var childIn: Int32 = -1
    var childOut: Int32 = -1
    var errWrite: Int32 = -1
    var errRead: Int32 = -1
    var control: Int32 = -1
    var childsEnds: [Int32] = []

    init(tty: Bool, keep: [Int32]) throws {
        self.keep = keep
        do {
            try open(tty: tty)
        } catch {
            // what was opened before the failure is not left behind
            for fd in childsEnds { close(fd) }
            closeOurs()
            throw error
        }
    }

    private mutating func open(tty: Bool) throws {
        let errPipe = try Self.pipe()
        (errRead, errWrite) = errPipe
        childsEnds.append(errPipe.write)
        readers = [(errPipe.read, tty ? .stdout : .stderr)]
        if tty {
            let null = Glibc.open("/dev/null", O_RDWR | O_CLOEXEC)
            guard null >= 0 else { throw HostError.internalError("cannot open /dev/null") }
            childsEnds.append(null)
            (childIn, childOut) = (null, null)
            var pair: [Int32] = [0, 0]
            guard sprite_socketpair(&pair) == 0 else {
                throw HostError.internalError("cannot create a socket pair")
            }
            control = pair[0]
            childsEnds.append(pair[1])
            self.keep.append(pair[1])
        } else {
            let inPipe = try Self.pipe()
            childsEnds.append(inPipe.read)
            (childIn, stdinFD) = (inPipe.read, inPipe.write)
            let outPipe = try Self.pipe()
            childsEnds.append(outPipe.write)
            childOut = outPipe.write
            readers.append((outPipe.read, .stdout))
        }
    }

    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard sprite_pipe(&fds) == 0 else {
            throw HostError.internalError("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        return (fds[0], fds[1])
    }

    /// The child never started: our ends go too.
    func closeOurs() {
        for (fd, _) in readers { close(fd) }
        if stdinFD >= 0 { close(stdinFD) }
        if control >= 0 { close(control) }
    }
}

/// What becomes a C string in a process of a sprite (its arguments, environment, directory):
/// one ends at its first NUL, so a string with one would not be the command asked for.
enum CStrings {
    static func check(_ strings: [String], what: String) throws {
        guard !strings.contains(where: { $0.utf8.contains(0) }) else {
            throw HostError.badRequest("\(what) cannot contain NUL bytes")
        }
    }
}
