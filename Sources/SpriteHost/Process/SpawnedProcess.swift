import CSpriteHost
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which stream a chunk of output came from.
enum OutputStream: UInt8, Sendable {
    case stdout = 1
    case stderr = 2
}

/// A child process with pipes or a pseudo-terminal, read by background threads.
/// Owns its descriptors; the process runs in its own session (process group = pid).
final class SpawnedProcess: @unchecked Sendable {
    let pid: pid_t
    let tty: Bool
    private let stdinFD: Int32
    private var stdinOpen = true
    private let lock = NSLock()
    private(set) var exitCode: Int32?

    /// Spawns `argv` (argv[0] an absolute path). Output chunks go to `onOutput` (stdout only in
    /// TTY mode); `onExit` runs once after all output has been delivered, with the exit status
    /// (128+N for a signal).
    init(argv: [String], environment: [String], directory: String?, tty: Bool, rows: UInt16 = 24,
         cols: UInt16 = 80, onOutput: @escaping @Sendable (OutputStream, Data) -> Void,
         onExit: @escaping @Sendable (Int32) -> Void) throws {
        self.tty = tty
        var childIn: Int32 = -1, childOut: Int32 = -1, childErr: Int32 = -1
        var readers: [(Int32, OutputStream)] = []
        var ttyPath: String?
        var parentStdin: Int32
        if tty {
            var name = [CChar](repeating: 0, count: 128)
            let master = sprite_open_pty(&name, name.count, rows, cols)
            guard master >= 0 else { throw HostError.internalError("cannot open a pseudo-terminal") }
            ttyPath = String(cString: name)
            parentStdin = master
            readers = [(master, .stdout)]
        } else {
            var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
            guard sprite_pipe(&inPipe) == 0, sprite_pipe(&outPipe) == 0, sprite_pipe(&errPipe) == 0
            else { throw HostError.internalError("cannot create pipes") }
            childIn = inPipe[0]; childOut = outPipe[1]; childErr = errPipe[1]
            parentStdin = inPipe[1]
            readers = [(outPipe[0], .stdout), (errPipe[0], .stderr)]
        }
        var pid: pid_t = 0
        let rc = Self.withCStrings(argv) { argvPtr in
            Self.withCStrings(environment) { envPtr in
                sprite_spawn(argv[0], argvPtr, envPtr, directory, childIn, childOut, childErr, ttyPath, &pid)
            }
        }
        if !tty { close(childIn); close(childOut); close(childErr) }
        guard rc == 0 else {
            close(parentStdin)
            for (fd, _) in readers where fd != parentStdin { close(fd) }
            throw HostError.internalError("cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        self.stdinFD = parentStdin
        // SIGPIPE on a closed stdin must not kill the host
        Glibc.signal(SIGPIPE, SIG_IGN)

        let group = DispatchGroup()
        let (stdinFD, childPID) = (parentStdin, pid)
        for (fd, stream) in readers {
            group.enter()
            let thread = Thread {
                var buf = [UInt8](repeating: 0, count: 32 * 1024)
                while true {
                    let n = read(fd, &buf, buf.count)
                    if n > 0 { onOutput(stream, Data(buf[0..<n])); continue }
                    if n < 0 && errno == EINTR { continue }
                    break  // EOF, or EIO once every holder of the terminal has gone
                }
                if fd != stdinFD { close(fd) }
                group.leave()
            }
            thread.start()
        }
        let waiter = Thread { [weak self] in
            var status: Int32 = 0
            while waitpid(childPID, &status, 0) < 0 && errno == EINTR {}
            let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            // a daemon that inherited the output may keep it open; give readers a moment only
            _ = group.wait(timeout: .now() + (tty ? 0.3 : 2))
            self?.finish(code)
            onExit(code)
        }
        waiter.start()
    }

    private func finish(_ code: Int32) {
        lock.lock()
        exitCode = code
        let wasOpen = stdinOpen
        stdinOpen = false
        lock.unlock()
        if wasOpen || tty { close(stdinFD) }
    }

    /// Writes to stdin (or the terminal); returns false once stdin is closed.
    @discardableResult
    func write(_ data: Data) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard stdinOpen else { return false }
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let n = Glibc.write(stdinFD, Array(bytes[offset...]), bytes.count - offset)
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return true
    }

    /// Closes stdin (non-TTY); the process sees EOF.
    func closeStdin() {
        lock.lock()
        defer { lock.unlock() }
        guard stdinOpen, !tty else { return }
        stdinOpen = false
        close(stdinFD)
    }

    /// Resizes the terminal.
    func resize(rows: UInt16, cols: UInt16) {
        lock.lock()
        defer { lock.unlock() }
        guard tty, exitCode == nil else { return }
        _ = sprite_set_winsize(stdinFD, rows, cols)
    }

    /// Signals the whole process group.
    func signal(_ sig: Int32) {
        lock.lock()
        let running = exitCode == nil
        lock.unlock()
        if running { _ = kill(-pid, sig); _ = kill(pid, sig) }
    }

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return exitCode == nil
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// Signal names as clients send them (`TERM`, `SIGTERM`, `15`).
enum SignalName {
    static func number(_ name: String) -> Int32? {
        let upper = name.uppercased()
        let bare = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        let table: [String: Int32] = ["HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "KILL": SIGKILL,
                                      "TERM": SIGTERM, "USR1": SIGUSR1, "USR2": SIGUSR2, "STOP": SIGSTOP,
                                      "CONT": SIGCONT, "WINCH": SIGWINCH]
        if let n = table[bare] { return n }
        if let n = Int32(bare), n > 0, n < 65 { return n }
        return nil
    }
}
