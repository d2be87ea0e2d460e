import Foundation

/// One row of `git sprite status` / `ls`.
public struct StatusEntry: Sendable {
    public var name: String
    public var state: String
    public var repo: String?
    public var branch: String?
    public var createdAt: String?

    public var json: JSON {
        .object([("name", .string(name)), ("state", .string(state)), ("repo", .optional(repo)),
                 ("branch", .optional(branch)), ("createdAt", .optional(createdAt))])
    }
}
