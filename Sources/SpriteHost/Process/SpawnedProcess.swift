import CSpriteHost
import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// Which stream a chunk of output came from.
enum OutputStream: UInt8, Sendable {
    case stdout = 1
    case stderr = 2
}

/// What to start: the program, its environment, and the descriptors it inherits.
struct SpawnRequest {
    var argv: [String]
    var environment: [String]
    var directory: String? = nil
    /// Become descriptors 3, 4, ... of the child, in this order.
    var keep: [Int32] = []
    /// The child is `sprite-enter run --pty`: it makes a terminal of the sprite's own and hands
    /// its master back over one more kept descriptor (the next after `keep`).
    var terminal: (rows: UInt16, cols: UInt16)? = nil
    /// Started by the sprite's PID 1 instead, when it can take it (no terminal); the fields
    /// above are then what starts it otherwise.
    var launch: SpriteCommand? = nil
}

/// A command for the sprite's PID 1 to start (`SpriteLauncher`).
struct SpriteCommand {
    let launcher: SpriteLauncher
    let argv: [String]
    let directory: String
    let environment: [String]
}

/// A child process, read by threads of its own. Owns its descriptors; the child leads its own
/// session and process group, so signals go to the whole group.
final class SpawnedProcess: Sendable {
    /// As the sprite sees it when its PID 1 started the process (as the real service's PIDs
    /// are the VM's own), else as the host does.
    let pid: pid_t
    let tty: Bool
    /// Started by the sprite's PID 1: its launcher and the command's number there.
    private let launched: (launcher: SpriteLauncher, id: UInt32)?
    private let input: InputPump
    /// The terminal master (TTY mode); closed once nothing reads or writes it any more.
    private let master: Int32?
    private struct State {
        var exitCode: Int32?
        /// Output chunks being handed to `onOutput` now.
        var delivering = 0
        var lastRead = Date()
    }
    private let state = Locked(State())
    var exitCode: Int32? { state.withLock { $0.exitCode } }

    /// Starts the child. Output chunks go to `onOutput` (a terminal's output is stdout), which
    /// may block to apply back-pressure; `onExit` runs once after the output was delivered,
    /// with the exit status (128+N for a signal).
    init(
        _ request: SpawnRequest, onOutput: @escaping @Sendable (OutputStream, Data) -> Void,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws {
        tty = request.terminal != nil
        var ends = try SpawnPlumbing(tty: tty, keep: request.keep)
        // the child's ends are closed here once it has them (or failed to start)
        defer { for fd in ends.childsEnds { close(fd) } }
        let exit = ReportedExit()
        var pid: pid_t = 0
        var launched: (launcher: SpriteLauncher, id: UInt32)? = nil
        do {
            if let command = request.launch, !tty,
                let started = try command.launcher.start(
                    command.argv, directory: command.directory, environment: command.environment,
                    stdio: [ends.childIn, ends.childOut, ends.errWrite], onExit: { exit.report($0) })
            {
                pid = started.pid
                launched = (command.launcher, started.id)
            } else {
                try Self.spawn(request, ends, &pid)
            }
        } catch {
            ends.closeOurs()
            throw error
        }
        self.launched = launched
        self.pid = pid
        // SIGPIPE on a closed stdin must not kill the host
        Glibc.signal(SIGPIPE, SIG_IGN)
        if let size = request.terminal {
            for fd in ends.childsEnds { close(fd) }
            ends.childsEnds = []
            let fd = try Self.receiveTerminal(ends, pid: pid, size: size)
            ends.stdinFD = fd
            ends.readers.append((fd, .stdout))
            master = fd
        } else {
            master = nil
        }
        input = InputPump(fd: ends.stdinFD, closesDescriptor: !tty)
        let group = startReaders(ends.readers, onOutput: onOutput)
        startWaiter(group: group, exit: launched != nil ? exit : nil, onExit: onExit)
    }

    /// Starts the request's own argv (`sprite-enter`, or any program of the host).
    private static func spawn(_ request: SpawnRequest, _ ends: SpawnPlumbing, _ pid: inout pid_t) throws {
        let rc = withCStrings(request.argv) { argvPtr in
            withCStrings(request.environment) { envPtr in
                ends.keep.withUnsafeBufferPointer { k in
                    sprite_spawn(
                        request.argv[0], argvPtr, envPtr, request.directory, ends.childIn, ends.childOut,
                        ends.errWrite, k.baseAddress, Int32(k.count), &pid)
                }
            }
        }
        guard rc == 0 else {
            throw HostError.internalError("cannot start \(request.argv[0]): \(String(cString: strerror(rc)))")
        }
    }

    /// The terminal master `sprite-enter run --pty` made in the sprite and sends back; the
    /// child is killed, and what it said is the error, when none comes.
    private static func receiveTerminal(
        _ ends: SpawnPlumbing, pid: pid_t, size: (rows: UInt16, cols: UInt16)
    ) throws -> Int32 {
        var name = [CChar](repeating: 0, count: 128)
        let fd = sprite_recv_fd(ends.control, &name, name.count, 10_000)
        close(ends.control)
        guard fd >= 0 else {
            kill(-pid, SIGKILL)
            let reason = drain(ends.errRead)
            close(ends.errRead)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            throw HostError.internalError(
                "cannot start a terminal in the sprite: "
                    + (reason.isEmpty ? String(cString: strerror(errno)) : reason))
        }
        _ = sprite_set_winsize(fd, size.rows, size.cols)
        return fd
    }

    /// One thread reads every output descriptor as it becomes readable (poll), delivering what
    /// it reads to `onOutput`; the group is left when each has reached its end.
    private func startReaders(
        _ readers: [(Int32, OutputStream)], onOutput: @escaping @Sendable (OutputStream, Data) -> Void
    ) -> DispatchGroup {
        let group = DispatchGroup()
        let masterFD = master
        group.enter()
        let thread = Thread { [weak self] in
            var open = readers
            var buf = [UInt8](repeating: 0, count: 32 * 1024)
            while !open.isEmpty {
                var fds = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
                if poll(&fds, nfds_t(fds.count), -1) < 0 {
                    if errno != EINTR { usleep(10_000) }
                    continue
                }
                var ended: [Int32] = []
                for (i, p) in fds.enumerated() where p.revents != 0 {
                    let (fd, stream) = open[i]
                    let n = read(fd, &buf, buf.count)
                    if n > 0 {
                        self?.delivered(start: true)
                        onOutput(stream, Data(buf[0..<n]))
                        self?.delivered(start: false)
                    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                        ended.append(fd)  // EOF, or EIO once every holder of the terminal has gone
                    }
                }
                for fd in ended {
                    if fd != masterFD { close(fd) }
                    open.removeAll { $0.0 == fd }
                }
            }
            group.leave()
        }
        thread.name = "output-\(pid)"
        thread.start()
        return group
    }

    /// Waits for the child, then for its output to be delivered, then reports its status.
    private func startWaiter(
        group: DispatchGroup, exit: ReportedExit?, onExit: @escaping @Sendable (Int32) -> Void
    ) {
        let childPID = pid
        let masterFD = master
        let pump = input
        let waiter = Thread { [weak self] in
            var status: Int32 = 0
            if let exit {
                status = exit.wait()
            } else {
                while waitpid(childPID, &status, 0) < 0 && errno == EINTR {}
            }
            let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            // a daemon that inherited the output may keep it open: wait for the readers while
            // they make progress (a slow client holds them back), not for the daemon
            let grace: TimeInterval = masterFD != nil ? 0.3 : 2
            while group.wait(timeout: .now() + 0.05) == .timedOut {
                guard let self, self.idle(for: grace) else { continue }
                break
            }
            self?.finish(code)
            pump.abandon()
            if let masterFD {
                // the master stays open until its reader is done with it
                DispatchQueue.global().async {
                    group.wait()
                    close(masterFD)
                }
            }
            onExit(code)
        }
        waiter.name = "wait-\(pid)"
        waiter.start()
    }

    private func delivered(start: Bool) {
        state.withLock { s in
            s.delivering += start ? 1 : -1
            s.lastRead = Date()
        }
    }

    private func idle(for seconds: TimeInterval) -> Bool {
        state.withLock { $0.delivering == 0 && Date().timeIntervalSince($0.lastRead) > seconds }
    }

    private func finish(_ code: Int32) {
        state.withLock { $0.exitCode = code }
    }

    /// Reads what is left in a pipe (at most 4 KiB), for an error message.
    private static func drain(_ fd: Int32) -> String {
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 4096, sprite_wait_readable(fd, 2000) > 0 {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Queues input for stdin (or the terminal); suspends while 1 MiB is already waiting.
    /// False once stdin is closed or the process stopped reading.
    @discardableResult
    func write(_ data: Data) async -> Bool {
        await input.write(data)
    }

    /// Closes stdin once what is queued has been written (non-TTY); the process sees EOF.
    func closeStdin() {
        guard !tty else { return }
        input.close()
    }

    /// Resizes the terminal.
    func resize(rows: UInt16, cols: UInt16) {
        state.withLock { s in
            guard let master, s.exitCode == nil else { return }
            _ = sprite_set_winsize(master, rows, cols)
        }
    }

    /// Signals the whole process group (the command runs in the group of `sprite-enter`).
    func signal(_ sig: Int32) {
        let running = state.withLock { $0.exitCode == nil }
        guard running else { return }
        if let launched {
            launched.launcher.signal(launched.id, sig)
        } else {
            _ = kill(-pid, sig)
        }
    }

    var isRunning: Bool {
        state.withLock { $0.exitCode == nil }
    }

    /// Waits (without holding a thread) until the process has exited.
    func waitForExit(poll: UInt64 = 20_000_000) async {
        while isRunning { try? await Task.sleep(nanoseconds: poll) }
    }

    private static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The wait status PID 1 reports for a command it started, handed to the thread waiting for it.
private final class ReportedExit: Sendable {
    private let status = Locked<Int32?>(nil)
    private let reported = DispatchSemaphore(value: 0)

    func report(_ value: Int32) {
        status.set(value)
        reported.signal()
    }

    func wait() -> Int32 {
        reported.wait()
        return status.value ?? 0
    }
}

extension SpawnedProcess {
    /// Runs `request` to its end (blocks: call through `Blocking`); its exit status and the
    /// first 4 KiB of what it wrote, for the error that names what failed.
    static func runToEnd(_ request: SpawnRequest) throws -> (status: Int32, output: String) {
        let done = DispatchSemaphore(value: 0)
        let status = Locked<Int32>(0)
        let output = Locked(Data())
        _ = try SpawnedProcess(
            request,
            onOutput: { _, data in output.withLock { if $0.count < 4096 { $0.append(data) } } },
            onExit: { code in
                status.set(code)
                done.signal()
            })
        done.wait()
        return (
            status.value, String(decoding: output.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}
