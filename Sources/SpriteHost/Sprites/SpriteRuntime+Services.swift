import Foundation
import SpriteSync
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

extension SpriteRuntime {
    // MARK: services

    func service(_ name: String) -> ServiceRunner? {
        state.withLock { $0.services[name] }
    }

    var serviceList: [ServiceRunner] {
        state.withLock { $0.services.values }.sorted { $0.spec.name < $1.spec.name }
    }

    /// Defines (or redefines) a service and returns its runner.
    func defineService(_ spec: ServiceSpec) -> ServiceRunner {
        state.withLock { state in
            if let existing = state.services[spec.name] {
                existing.update(spec)
                return existing
            }
            let runner = ServiceRunner(spec: spec, layout: layout) { [weak self] spec, output, exit in
                guard let self else { throw HostError.notFound("sprite") }
                let env = self.environment((spec.env ?? [:]).map { "\($0.key)=\($0.value)" }, tty: false)
                let box = try self.sandbox()
                return try SpawnedProcess(
                    box.command(
                        [spec.cmd] + spec.args, directory: spec.dir ?? "/home/sprite",
                        environment: env),
                    onOutput: output, onExit: exit)
            }
            state.services[spec.name] = runner
            return runner
        }
    }

    func removeService(_ name: String) -> ServiceRunner? {
        state.withLock { $0.services.removeValue(forKey: name) }
    }

    // MARK: tasks (in-sprite API)

    /// Tasks a sprite may hold at once.
    static let taskLimit = 256

    /// Adds or renews a task; false when `create` finds it taken, or the sprite is at its limit.
    func putTask(_ name: String, expires: TimeInterval, create: Bool) -> Bool {
        state.withLock { state in
            if create, state.tasks[name] != nil { return false }
            if state.tasks[name] == nil, state.tasks.count >= Self.taskLimit { return false }
            let now = Date()
            state.tasks[name] = (state.tasks[name]?.started ?? now, now.addingTimeInterval(min(expires, 3600)))
            state.lastActivity = now
            state.status = .running
            return true
        }
    }

    func deleteTask(_ name: String) -> Bool {
        state.withLock { $0.tasks.removeValue(forKey: name) != nil }
    }

    var taskList: [TaskInfo] {
        state.withLock { $0.tasks }.sorted { $0.key < $1.key }.map {
            TaskInfo(
                name: $0.key, startedAt: Timestamp.format($0.value.started),
                expiresAt: Timestamp.format($0.value.expires))
        }
    }
}
