import Foundation
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// A service's process supervision: started when the sprite boots or wakes, restarted
/// a second after a crash, stopped on request or when the sprite goes cold.
final class ServiceRunner: @unchecked Sendable {
    private(set) var spec: ServiceSpec
    /// `<sprite>/system/logs/services/<name>.log`, shown read-only inside the sprite.
    let logFile: String
    private let launch:
        @Sendable (
            ServiceSpec, @escaping @Sendable (OutputStream, Data) -> Void,
            @escaping @Sendable (Int32) -> Void
        ) throws -> SpawnedProcess
    private let lock = NSLock()
    private let logLock = NSLock()
    private var process: SpawnedProcess?
    private(set) var status = "stopped"
    private var startedAt: Date?
    private var restartCount = 0
    private var wanted = false
    private var lastError: String?
    private var generation = 0
    private var listeners: [UUID: AsyncStream<StreamEvent>.Continuation] = [:]

    /// Services are named like files of their own: letters, digits, `.`, `_` and `-`.
    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.first != "." && name.first != "-"
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
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
        self.spec = spec
        logFile = layout.serviceLogs + "/\(spec.name).log"
        self.launch = launch
    }

    func update(_ spec: ServiceSpec) {
        lock.lock()
        self.spec = spec
        lock.unlock()
    }

    /// Streams the service's events (`started`, `stdout`, `stderr`, `exit`, ...) as NDJSON objects.
    /// A listener that falls behind loses the oldest events, never the host's memory.
    func events() -> (UUID, AsyncStream<StreamEvent>) {
        let key = UUID()
        var continuation: AsyncStream<StreamEvent>.Continuation!
        let stream = AsyncStream<StreamEvent>(bufferingPolicy: .bufferingNewest(1024)) { continuation = $0 }
        lock.lock()
        listeners[key] = continuation
        lock.unlock()
        return (key, stream)
    }

    func stopListening(_ key: UUID) {
        lock.lock()
        listeners.removeValue(forKey: key)?.finish()
        lock.unlock()
    }

    private func publish(_ event: StreamEvent) {
        var event = event
        event.timestamp = nowMilliseconds()
        lock.lock()
        let targets = Array(listeners.values)
        lock.unlock()
        for t in targets { t.yield(event) }
    }

    /// Appends to the log. The directory belongs to the host and the sprite cannot write in it;
    /// O_NOFOLLOW keeps even a planted link from redirecting the write.
    private func log(_ data: Data) {
        logLock.lock()
        defer { logLock.unlock() }
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

    /// Starts the service if it is not running.
    func start() {
        lock.lock()
        wanted = true
        if process?.isRunning == true {
            lock.unlock()
            return
        }
        generation += 1
        let gen = generation
        status = "starting"
        let spec = self.spec
        lock.unlock()
        do {
            let p = try launch(
                spec,
                { [weak self] stream, data in
                    self?.log(data)
                    self?.publish(
                        StreamEvent(
                            type: stream == .stdout ? "stdout" : "stderr", data: String(decoding: data, as: UTF8.self)))
                }, { [weak self] code in self?.exited(code, generation: gen) })
            lock.lock()
            process = p
            status = "running"
            startedAt = Date()
            lastError = nil
            lock.unlock()
            publish(StreamEvent(type: "started", pid: Int(p.pid)))
        } catch {
            lock.lock()
            status = "failed"
            lastError = "\(error)"
            lock.unlock()
            publish(StreamEvent(type: "error", data: "\(error)"))
        }
    }

    private func exited(_ code: Int32, generation gen: Int) {
        lock.lock()
        guard gen == generation else {
            lock.unlock()
            return
        }
        process = nil
        let restart = wanted
        status = restart ? "starting" : "stopped"
        if restart { restartCount += 1 }
        lock.unlock()
        publish(StreamEvent(type: "exit", exitCode: Int(code)))
        if restart {
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let still = self.wanted && gen == self.generation && self.process == nil
                self.lock.unlock()
                if still { self.start() }
            }
        }
    }

    /// Stops the service: SIGTERM, then SIGKILL after `timeout` seconds.
    func stop(timeout: TimeInterval = 10, wantedAfter: Bool = false) {
        lock.lock()
        wanted = wantedAfter
        generation += 1
        let p = process
        process = nil
        status = "stopping"
        lock.unlock()
        publish(StreamEvent(type: "stopping"))
        if let p {
            p.signal(SIGTERM)
            let deadline = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { p.signal(SIGKILL) }
        }
        lock.lock()
        status = "stopped"
        lock.unlock()
        publish(StreamEvent(type: "stopped", exitCode: Int(p?.exitCode ?? 0)))
    }

    /// Kills at once (cold transition) but remembers to start again on wake.
    func kill() {
        lock.lock()
        let shouldRun = wanted
        generation += 1
        let p = process
        process = nil
        status = "stopped"
        wanted = shouldRun
        lock.unlock()
        p?.signal(SIGKILL)
    }

    /// A sprite that boots (the host started again) starts every service it defines, as a
    /// wake does: the first request that wakes it starts them.
    func startOnBoot() {
        lock.lock()
        wanted = true
        lock.unlock()
    }

    var shouldRun: Bool {
        lock.lock()
        defer { lock.unlock() }
        return wanted
    }

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return process?.isRunning == true
    }

    func signal(_ sig: Int32) -> Bool {
        lock.lock()
        let p = process
        lock.unlock()
        guard let p, p.isRunning else { return false }
        p.signal(sig)
        return true
    }

    /// The service object with its state.
    var wire: Service {
        lock.lock()
        defer { lock.unlock() }
        let state = ServiceState(
            name: spec.name, status: status, pid: process.map { Int($0.pid) },
            startedAt: startedAt.map(Timestamp.format), error: lastError, restartCount: restartCount)
        return Service(name: spec.name, definition: spec.definition, state: state)
    }
}
