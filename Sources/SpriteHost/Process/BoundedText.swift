import Foundation
import SpriteSync

/// What a child says on a stream, kept to its first or its last `limit` bytes, as trimmed text
/// for an error message: a failing operation's first words (`SpriteFiles`), or what a sandbox
/// said last before it died (`SandboxInstance`).
final class BoundedText: Sendable {
    enum Keep: Sendable { case first, last }

    private let keep: Keep
    private let limit: Int
    private let bytes = Locked(Data())

    init(keeping keep: Keep, limit: Int = 2048) {
        (self.keep, self.limit) = (keep, limit)
    }

    func append(_ data: Data) {
        bytes.withLock { bytes in
            switch keep {
            case .first:
                if bytes.count < limit { bytes.append(data.prefix(limit - bytes.count)) }
            case .last:
                bytes.append(data)
                if bytes.count > limit { bytes = Data(bytes.suffix(limit)) }
            }
        }
    }

    var text: String {
        String(decoding: bytes.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
