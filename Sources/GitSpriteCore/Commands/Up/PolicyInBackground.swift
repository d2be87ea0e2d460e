import Foundation
import SpriteGit
import SpriteSync
import SpritesAPI

/// The network policy, set on a thread of its own while the repositories are looked at:
/// `applied()` waits for it (once) and throws what setting it threw.
final class PolicyInBackground: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let error = Locked<Error?>(nil)
    private let elapsed = Locked(0.0)
    private let waited = Locked(false)

    init(_ api: any SpritesService, sprite: String, rules: [PolicyRule]) {
        let (done, error, elapsed) = (done, error, elapsed)
        DispatchQueue.global().async {
            let start = Date()
            do {
                try api.setNetworkPolicy(sprite, rules: rules)
            } catch let failure {
                error.set(failure)
            }
            elapsed.set(Date().timeIntervalSince(start))
            done.signal()
        }
    }

    /// Waits until the policy is set; throws when setting it failed.
    func applied() throws {
        waited.withLock { waited in
            if !waited {
                done.wait()
                waited = true
            }
        }
        if let failure = error.value { throw failure }
    }

    /// How long setting it took.
    var seconds: Double { elapsed.value }
}
