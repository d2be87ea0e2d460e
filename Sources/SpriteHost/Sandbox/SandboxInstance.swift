import CSpriteHost
import Foundation
import SpriteSync

#if canImport(Glibc)
    import Glibc
#endif

/// A running sprite: the holder (bubblewrap and PID 1 of the sprite's namespaces) and open
/// descriptors of those namespaces, which every later command joins through `sprite-enter`.
/// The descriptors are taken once, from a PID 1 whose namespaces were checked against what
/// bubblewrap reported, and are closed when the last user of this object lets go, so a
/// recycled PID can never send a command into the wrong namespaces.
final class SandboxInstance: @unchecked Sendable {
    let holder: SpawnedProcess
    /// PID 1 of the sprite, as the host sees it.
    let initPID: pid_t
    private let pidfd: Int32
    /// user, mnt, pid, ipc, uts, net: descriptors 3...8 of `sprite-enter`.
    let namespaces: [Int32]
    let platform: HostPlatform
    let cgroups: [String]
    /// Starts the sprite's commands through its PID 1.
    let launcher: SpriteLauncher

    private init(
        holder: SpawnedProcess, initPID: pid_t, pidfd: Int32, namespaces: [Int32], platform: HostPlatform,
        cgroups: [String], launcher: SpriteLauncher
    ) {
        self.holder = holder
        self.initPID = initPID
        self.pidfd = pidfd
        self.namespaces = namespaces
        self.platform = platform
        self.cgroups = cgroups
        self.launcher = launcher
    }

    deinit {
        for fd in namespaces { close(fd) }
        close(pidfd)
    }

    /// Builds the sandbox and waits until PID 1 runs in it (at most 10 s).
    static func start(_ profile: SandboxProfile) throws -> SandboxInstance {
        var info: [Int32] = [0, 0], ready: [Int32] = [0, 0], control: [Int32] = [-1, -1]
        guard sprite_pipe(&info) == 0 else { throw HostError.internalError("cannot create pipes") }
        guard sprite_pipe(&ready) == 0, sprite_launch_pair(&control) == 0 else {
            for fd in info + ready + control where fd > 0 { close(fd) }
            throw HostError.internalError("cannot create pipes")
        }
        // our end of the control socket goes to the launcher once PID 1 runs
        var launcherSocket: Int32? = control[0]
        defer {
            close(info[0])
            close(ready[0])
            if let launcherSocket { close(launcherSocket) }
        }
        let diagnostics = BoundedText(keeping: .last)
        let holder: SpawnedProcess
        do {
            holder = try HolderThread.shared.perform {
                try SpawnedProcess(
                    SpawnRequest(
                        argv: profile.holderArgv(), environment: SandboxProfile.holderEnvironment,
                        directory: "/", keep: [info[1], ready[1], control[1]]),
                    onOutput: { _, data in diagnostics.append(data) }, onExit: { _ in })
            }
        } catch {
            close(info[1])
            close(ready[1])
            close(control[1])
            throw error
        }
        close(info[1])
        close(ready[1])
        close(control[1])
        func fail(_ what: String) -> HostError {
            holder.signal(SIGKILL)
            let deadline = Date().addingTimeInterval(2)
            while holder.isRunning && Date() < deadline { usleep(10_000) }
            let detail = diagnostics.text
            return HostError.internalError(
                "cannot start the sprite's sandbox: \(what)" + (detail.isEmpty ? "" : ": \(detail)"))
        }
        let infoText = readAll(info[0], timeoutMs: 10_000)
        guard readAll(ready[0], timeoutMs: 10_000).hasPrefix("ready") else { throw fail("PID 1 did not start") }
        guard let info = try? JSONDecoder().decode(BubblewrapInfo.self, from: Data(infoText.utf8)), info.childPID > 1
        else {
            throw fail("bubblewrap reported no PID")
        }
        let pid = info.childPID
        let pidfd = sprite_pidfd_open(pid)
        guard pidfd >= 0 else { throw fail("PID 1 is gone") }
        var fds: [Int32] = []
        let kinds = ["user", "mnt", "pid", "ipc", "uts", "net"]
        for kind in kinds {
            let fd = open("/proc/\(pid)/ns/\(kind)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                for f in fds { close(f) }
                close(pidfd)
                throw fail("cannot open the sprite's \(kind) namespace")
            }
            fds.append(fd)
        }
        // the PID still names our PID 1 (the pidfd pins it; the namespaces must match what
        // bubblewrap made)
        let expected = ["mnt": info.mnt, "pid": info.pid, "ipc": info.ipc, "uts": info.uts, "net": info.net]
        for (i, kind) in kinds.enumerated() {
            guard let want = expected[kind] else { continue }
            guard want == sprite_inode(fds[i]) else {
                for f in fds { close(f) }
                close(pidfd)
                throw fail("the sprite's PID 1 changed while it started")
            }
        }
        let launcher = SpriteLauncher(socket: control[0])
        launcherSocket = nil
        return SandboxInstance(
            holder: holder, initPID: pid, pidfd: pidfd, namespaces: fds, platform: profile.platform,
            cgroups: profile.cgroups, launcher: launcher)
    }

    /// Ends every process of the sprite: PID 1 dies, and the kernel kills the rest of its PID
    /// namespace before the holder exits. Waits up to `timeout` for that.
    func stop(timeout: TimeInterval = 5) {
        _ = sprite_pidfd_signal(pidfd, SIGKILL)
        let deadline = Date().addingTimeInterval(timeout)
        while holder.isRunning && Date() < deadline { usleep(5_000) }
        if holder.isRunning { holder.signal(SIGKILL) }
    }

    var isRunning: Bool { holder.isRunning }

    /// A command run inside the sprite as its user: started by the sprite's PID 1 when it has
    /// no terminal, else (or when PID 1 cannot take it) by `sprite-enter run`.
    func command(
        _ argv: [String], directory: String, environment: [String],
        terminal: (rows: UInt16, cols: UInt16)? = nil
    ) -> SpawnRequest {
        var args = [platform.helper, "run", "--dir", directory]
        for file in cgroups { args += ["--cgroup", file] }
        if terminal != nil { args.append("--pty") }
        var request = SpawnRequest(
            argv: args + ["--"] + argv, environment: environment, directory: "/", keep: namespaces,
            terminal: terminal)
        if terminal == nil {
            request.launch = SpriteCommand(
                launcher: launcher, argv: argv, directory: directory, environment: environment)
        }
        return request
    }

    /// A `sprite-enter` operation inside the sprite that runs no command of the sprite's
    /// (`fs …`, `listen …`), in the sprite's cgroups: what it costs is the sprite's.
    func helper(_ args: [String], keep extra: [Int32] = []) -> SpawnRequest {
        SpawnRequest(
            argv: [platform.helper] + cgroups.flatMap { ["--cgroup", $0] } + args,
            environment: ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], directory: "/", keep: namespaces + extra)
    }

    private static func readAll(_ fd: Int32, timeoutMs: Int32) -> String {
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while out.count < 65536 {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard sprite_wait_readable(fd, left) > 0 else { break }
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// What bubblewrap writes to `--info-fd`: the host PID of the sandbox's PID 1 and the inode
/// numbers of the namespaces it made.
private struct BubblewrapInfo: Decodable {
    var childPID: Int32
    var mnt: UInt64
    var pid: UInt64
    var ipc: UInt64
    var uts: UInt64
    var net: UInt64

    enum CodingKeys: String, CodingKey {
        case childPID = "child-pid"
        case mnt = "mnt-namespace"
        case pid = "pid-namespace"
        case ipc = "ipc-namespace"
        case uts = "uts-namespace"
        case net = "net-namespace"
    }
}

/// Holders are started from one thread that lives as long as the host: bubblewrap's
/// `--die-with-parent` ends a sandbox when the *thread* that started it exits, and the
/// threads of a dispatch queue come and go.
final class HolderThread: @unchecked Sendable {
    static let shared = HolderThread()
    private let cond = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [self] in
            while true {
                cond.lock()
                while jobs.isEmpty { cond.wait() }
                let job = jobs.removeFirst()
                cond.unlock()
                job()
            }
        }
        thread.name = "sprite-holders"
        thread.start()
    }

    /// Runs `work` on the holder thread and waits for its result.
    func perform<T>(_ work: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        var result: Result<T, Error>?
        cond.lock()
        jobs.append {
            result = Result { try work() }
            done.signal()
        }
        cond.signal()
        cond.unlock()
        done.wait()
        guard let result else { throw HostError.internalError("holder thread lost a job") }
        return try result.get()
    }
}
