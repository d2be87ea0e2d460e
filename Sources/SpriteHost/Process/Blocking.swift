import Foundation

/// Work that blocks a thread (spawning and waiting for processes, copying trees, waiting for a
/// sandbox to come up) runs here, never on Swift's cooperative pool: that pool has one thread
/// per core, and a route that blocks one of them stalls every other request.
enum Blocking {
    private static let queue = DispatchQueue(label: "sprite-host.blocking", attributes: .concurrent)

    static func run<T>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func run<T>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    /// Fire and forget.
    static func detach(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }
}
