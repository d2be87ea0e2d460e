import Foundation
import SpriteSync
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// A service's process supervision: started when the sprite boots or wakes, restarted after
/// it ends (a second later, doubling up to a minute while it keeps ending within ten seconds
/// of its start), stopped on request or when the sprite goes cold.
final class ServiceRunner: Sendable {
    /// `<sprite>/system/logs/services/<name>.log`, shown read-only inside the sprite.
    let logFile: String
    private let launch:
        @Sendable (
            ServiceSpec, @escaping @Sendable (OutputStream, Data) -> Void,
            @escaping @Sendable (Int32) -> Void
        ) throws -> SpawnedProcess
    /// Where a service is in its life; its name is the API's `status`.
    enum Phase: String {
        case stopped, starting, running, stopping, failed
    }

    private struct State {
        var spec: ServiceSpec
        var process: SpawnedProcess?
        var status = Phase.stopped
        var startedAt: Date?
        var restartCount = 0
        /// Ends in a row, each within `steadyRun` of its start; a start asked for resets it.
        var quickExits = 0
        var nextRestartAt: Date?
        var wanted = false
        var lastError: String?
        var generation = 0
        var listeners: [UUID: AsyncStream<StreamEvent>.Continuation] = [:]
    }
    private let state: Locked<State>
    /// Held while the log is appended to (or rotated): one writer at a time.
    private let logLock = Locked(())

    var spec: ServiceSpec { state.withLock { $0.spec } }
    var status: Phase { state.withLock { $0.status } }

    /// Services are named like files of their own: letters, digits, `.`, `_` and `-`.
    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.first != "." && name.first != "-"
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// A run this long is steady: the next restart comes a second after its end again.
    static let steadyRun: TimeInterval = 10
    static let longestRestartDelay: TimeInterval = 60

    /// How long after its end a service that ended `quickExits` times in a row, each soon after
    /// its start, is started again: 1, 1, 2, 4 ... 60 seconds.
    static func restartDelay(quickExits: Int) -> TimeInterval {
        min(longestRestartDelay, pow(2, Double(max(0, quickExits - 1))))
    }

    /// A log grows to this size, then starts over (the previous one is kept as `.log.1`).
    static let logLimit = 8 << 20

    init(
        spec: ServiceSpec, layout: SpriteLayout,
        launch:
            @escaping @Sendable (
                ServiceSpec, @escaping @Sendable (OutputStream, Data) -> Void,
                @escaping @Sendable (Int32) -> Void
            ) throws -> SpawnedProcess
    ) {
        state = Locked(State(spec: spec))
        logFile = layout.serviceLogs + "/\(spec.name).log"
        self.launch = launch
    }

    func update(_ spec: ServiceSpec) {
        state.withLock { $0.spec = spec }
    }

    /// Streams the service's events (`started`, `stdout`, `stderr`, `exit`, ...) as NDJSON objects.
    /// A listener that falls behind loses the oldest events, never the host's memory.
    func events() -> (UUID, AsyncStream<StreamEvent>) {
        let key = UUID()
        var continuation: AsyncStream<StreamEvent>.Continuation!
        let stream = AsyncStream<StreamEvent>(bufferingPolicy: .bufferingNewest(1024)) { continuation = $0 }
        state.withLock { $0.listeners[key] = continuation }
        return (key, stream)
    }

    func stopListening(_ key: UUID) {
        state.withLock { $0.listeners.removeValue(forKey: key)?.finish() }
    }

    private func publish(_ event: StreamEvent) {
        var event = event
        event.timestamp = nowMilliseconds()
        let targets = state.withLock { Array($0.listeners.values) }
        for t in targets { t.yield(event) }
    }

    /// Appends to the log. The directory belongs to the host and the sprite cannot write in it;
    /// O_NOFOLLOW keeps even a planted link from redirecting the write.
    private func log(_ data: Data) {
        logLock.withLock { _ in
            var st = stat()
            if lstat(logFile, &st) == 0, Int(st.st_size) + data.count > Self.logLimit {
                rename(logFile, logFile + ".1")
            }
            let fd = open(logFile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return }
            defer { close(fd) }
            data.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, base + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }

    /// The last `lines` lines of the log (read from its last MiB at most).
    func tail(lines: Int) -> [Substring] {
        let fd = open(logFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        let start = max(0, size - (1 << 20))
        lseek(fd, start, SEEK_SET)
        var bytes = [UInt8](repeating: 0, count: Int(size - start))
        var got = 0
        while got < bytes.count {
            let n = bytes[got...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            got += n
        }
        let text = String(decoding: bytes[0..<got], as: UTF8.self)
        var all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if start > 0, !all.isEmpty { all.removeFirst() }  // a line cut in the middle
        return Array(all.filter { !$0.isEmpty }.suffix(lines))
    }

    /// Starts the service if it is not running. `restart`: the supervisor's own start after an
    /// end, which keeps the count of quick ends (any other start resets it).
    func start(restart: Bool = false) {
        let starting = state.withLock { s -> (generation: Int, spec: ServiceSpec)? in
            s.wanted = true
            s.nextRestartAt = nil
            if !restart { s.quickExits = 0 }
            if s.process?.isRunning == true { return nil }
            s.generation += 1
            s.status = .starting
            return (s.generation, s.spec)
        }
        guard let (gen, spec) = starting else { return }
        do {
            let p = try launch(
                spec,
                { [weak self] stream, data in
                    self?.log(data)
                    self?.publish(
                        StreamEvent(
                            type: stream == .stdout ? "stdout" : "stderr", data: String(decoding: data, as: UTF8.self)))
                }, { [weak self] code in self?.exited(code, generation: gen) })
            state.withLock { s in
                s.process = p
                s.status = .running
                s.startedAt = Date()
                s.lastError = nil
            }
            publish(StreamEvent(type: "started", pid: Int(p.pid)))
        } catch {
            state.withLock { s in
                s.status = .failed
                s.lastError = "\(error)"
            }
            publish(StreamEvent(type: "error", data: "\(error)"))
        }
    }

    private func exited(_ code: Int32, generation gen: Int) {
        // nil when a newer start or a stop has taken over; else the delay before the restart
        // (nil inside: none)
        let restarting = state.withLock { s -> TimeInterval?? in
            guard gen == s.generation else { return nil }
            s.process = nil
            let restart = s.wanted
            s.status = restart ? .starting : .stopped
            guard restart else { return .some(nil) }
            s.restartCount += 1
            let ran = s.startedAt.map { Date().timeIntervalSince($0) } ?? 0
            s.quickExits = ran < Self.steadyRun ? s.quickExits + 1 : 0
            let delay = Self.restartDelay(quickExits: s.quickExits)
            s.nextRestartAt = Date().addingTimeInterval(delay)
            return delay
        }
        guard let delay = restarting else { return }
        publish(StreamEvent(type: "exit", exitCode: Int(code)))
        if let delay {
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
                guard let self else { return }
                let still = self.state.withLock { $0.wanted && gen == $0.generation && $0.process == nil }
                if still { self.start(restart: true) }
            }
        }
    }

    /// Stops the service: SIGTERM, then SIGKILL after `timeout` seconds.
    func stop(timeout: TimeInterval = 10, wantedAfter: Bool = false) {
        let p = state.withLock { s in
            s.wanted = wantedAfter
            s.nextRestartAt = nil
            s.generation += 1
            let taken = s.process
            s.process = nil
            s.status = .stopping
            return taken
        }
        publish(StreamEvent(type: "stopping"))
        if let p {
            p.signal(SIGTERM)
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { p.signal(SIGKILL) }
        }
        state.withLock { $0.status = .stopped }
        publish(StreamEvent(type: "stopped", exitCode: Int(p?.exitCode ?? 0)))
    }

    /// Kills at once (cold transition) but remembers to start again on wake: `wanted` stays
    /// as it is.
    func kill() {
        let p = state.withLock { s in
            s.generation += 1
            s.nextRestartAt = nil
            let taken = s.process
            s.process = nil
            s.status = .stopped
            return taken
        }
        p?.signal(SIGKILL)
    }

    /// A sprite that boots (the host started again) starts every service it defines, as a
    /// wake does: the first request that wakes it starts them.
    func startOnBoot() {
        state.withLock { $0.wanted = true }
    }

    var shouldRun: Bool {
        state.withLock { $0.wanted }
    }

    var isRunning: Bool {
        state.withLock { $0.process?.isRunning == true }
    }

    func signal(_ sig: Int32) -> Bool {
        let p = state.withLock { $0.process }
        guard let p, p.isRunning else { return false }
        p.signal(sig)
        return true
    }

    /// The service object with its state.
    var wire: Service {
        state.withLock { s in
            let serviceState = ServiceState(
                name: s.spec.name, status: s.status.rawValue, pid: s.process.map { Int($0.pid) },
                startedAt: s.startedAt.map(Timestamp.format), error: s.lastError, restartCount: s.restartCount,
                nextRestartAt: s.nextRestartAt.map(Timestamp.format))
            return Service(name: s.spec.name, definition: s.spec.definition, state: serviceState)
        }
    }
}
