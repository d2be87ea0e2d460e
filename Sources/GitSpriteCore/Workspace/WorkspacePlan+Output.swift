import SpriteGit

/// The `git sprite plan --json` document (schema in docs/plan-json.md).
public struct PlanOutput: Sendable, Codable {
    public struct Sprite: Sendable, Codable {
        public let name, source: String
    }

    public struct Identity: Sendable, Codable {
        public let name, email, nameFrom, emailFrom: String?
    }

    public struct Repo: Sendable, Codable {
        public struct Remote: Sendable, Codable {
            public let name: String
            public let url: String?
        }
        public struct Upstream: Sendable, Codable {
            public let ref: String
            public let ahead, behind: Int?
        }
        public struct Changes: Sendable, Codable {
            public let modified, staged, untracked, conflicted: Int
        }
        public struct Transport: Sendable, Codable {
            public let method: String
            public let localCommits: Int?
            public let reason: String
            public let snapshot: Bool
        }
        public struct Included: Sendable, Codable {
            public let path: String
            public let looksSecret: Bool
        }

        public let mount: String?
        public let localPath, spritePath: String
        public let branch: String?
        public let detached: Bool
        public let operation, head: String?
        public let remote: Remote?
        public let upstream: Upstream?
        public let changes: Changes
        public let transport: Transport
        public let included: [Included]
        public let submodules: [Submodule]
    }

    public struct Submodule: Sendable, Codable {
        public struct Transport: Sendable, Codable {
            public let method, reason: String
        }

        public let name, path, spritePath: String
        public let url, resolvedUrl, commit: String?
        public let initialized: Bool
        public let transport: Transport
        public let submodules: [Submodule]
    }

    public var version = 1
    public let sprite: Sprite
    public let identity: Identity
    public let primary: Repo
    public let linked: [Repo]
    public let warnings: [String]
}

extension WorkspacePlan {
    public var output: PlanOutput {
        PlanOutput(
            sprite: .init(name: spriteName, source: nameSource.rawValue),
            identity: .init(
                name: identity.name, email: identity.email, nameFrom: identity.nameSource,
                emailFrom: identity.emailSource),
            primary: primary.output, linked: linked.map(\.output), warnings: warnings)
    }

    /// The human tree printed by `git sprite plan`.
    public var text: String {
        var out = "sprite \(spriteName)\n"
        let from = Set([identity.nameSource, identity.emailSource].compactMap { $0 }).sorted().joined(separator: ", ")
        out += "commits as \(identity.text)" + (from.isEmpty ? "" : " (\(from))") + "\n"
        for repo in [primary] + linked { repo.render(into: &out) }
        return out
    }
}

extension RepoPlan {
    var output: PlanOutput.Repo {
        PlanOutput.Repo(
            mount: mount, localPath: localPath, spritePath: spritePath, branch: branch, detached: detached,
            operation: operation?.rawValue, head: head?.hex, remote: remoteName.map { .init(name: $0, url: remoteURL) },
            upstream: upstreamRef.map { .init(ref: $0, ahead: ahead, behind: behind) },
            changes: .init(
                modified: changes.modified, staged: changes.staged, untracked: changes.untracked,
                conflicted: changes.conflicted),
            transport: .init(
                method: transport.rawValue, localCommits: localCommits, reason: transportReason,
                snapshot: hasSnapshot),
            included: included.files.map { .init(path: $0.path, looksSecret: $0.looksSecret) },
            submodules: submodules.map(\.output))
    }

    func render(into out: inout String) {
        out += "\n\(spritePath) <- \(localPath)\n"
        let branchText: String
        if let branch, !detached {
            var t = branch
            if let upstreamRef {
                t += " -> " + upstreamRef.replacingOccurrences(of: "refs/remotes/", with: "")
                if let ahead, let behind { t += " (ahead \(ahead), behind \(behind))" }
            }
            branchText = t
        } else {
            branchText = "(detached HEAD)"
        }
        line(&out, "branch", branchText)
        line(&out, "head", head?.hex ?? "(no commits yet)")
        line(&out, "remote", remoteName.map { "\($0) \(remoteURL ?? "(no URL)")" } ?? "(none)")
        var changeParts: [String] = []
        if changes.modified > 0 { changeParts.append("\(changes.modified) modified") }
        if changes.staged > 0 { changeParts.append("\(changes.staged) staged") }
        if changes.untracked > 0 { changeParts.append("\(changes.untracked) untracked") }
        if changes.conflicted > 0 { changeParts.append("\(changes.conflicted) conflicted") }
        line(&out, "changes", changeParts.isEmpty ? "clean" : changeParts.joined(separator: ", "))
        line(&out, "transport", transportText)
        if !included.files.isEmpty {
            // names only: a file's contents are never printed
            line(
                &out, "included",
                included.files.map { $0.path + ($0.looksSecret ? " (looks like a secret)" : "") }
                    .joined(separator: ", "))
        }
        if !submodules.isEmpty {
            line(&out, "submodules", "")
            for sm in submodules { sm.render(into: &out, depth: 2) }
        }
    }

    var transportText: String {
        var t: String
        switch transport {
        case .clone: t = "clone from \(remoteName ?? "remote")"
        case .cloneAndTunnel:
            t =
                "clone from \(remoteName ?? "remote"), then \(localCommits ?? 0) local commit"
                + ((localCommits ?? 0) == 1 ? "" : "s") + " through the tunnel"
        case .tunnel: t = "whole branch through the tunnel (\(transportReason))"
        case .none: t = "nothing to ship (\(transportReason))"
        }
        if hasSnapshot && transport != .none {
            t +=
                changes.isClean
                ? "; ignored files named in \(IncludedFiles.fileName) as a snapshot"
                : "; uncommitted changes as a snapshot"
        }
        return t
    }

    private func line(_ out: inout String, _ label: String, _ value: String) {
        let padded = value.isEmpty ? label : label + String(repeating: " ", count: max(1, 11 - label.count))
        out += "  " + padded + value + "\n"
    }
}

extension SubmodulePlan {
    var output: PlanOutput.Submodule {
        PlanOutput.Submodule(
            name: name, path: path, spritePath: spritePath, url: url, resolvedUrl: resolvedURL,
            commit: commit?.hex, initialized: initialized,
            transport: .init(method: transport.rawValue, reason: transportReason),
            submodules: submodules.map(\.output))
    }

    func render(into out: inout String, depth: Int) {
        let indent = String(repeating: "  ", count: depth)
        var t = "\(indent)\(path) @ \(commit?.short ?? "(no commit)")  \(resolvedURL ?? "(no URL)")"
        if !initialized { t += "  (not initialised)" }
        if transport != .clone { t += "  [\(transport.rawValue): \(transportReason)]" }
        out += t + "\n"
        for sm in submodules { sm.render(into: &out, depth: depth + 1) }
    }
}
