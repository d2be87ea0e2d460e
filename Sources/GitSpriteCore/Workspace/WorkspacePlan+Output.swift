import SpriteGit

extension WorkspacePlan {
    /// The `git sprite plan --json` document (schema in docs/plan-json.md).
    public var json: JSON {
        .object([
            ("version", .int(1)),
            ("sprite", .object([("name", .string(spriteName)), ("source", .string(nameSource.rawValue))])),
            ("identity", .object([("name", .optional(identity.name)), ("email", .optional(identity.email)),
                                  ("nameFrom", .optional(identity.nameSource)),
                                  ("emailFrom", .optional(identity.emailSource))])),
            ("primary", primary.json),
            ("linked", .array(linked.map(\.json))),
            ("warnings", .array(warnings.map(JSON.string))),
        ])
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
    var json: JSON {
        .object([
            ("mount", .optional(mount)),
            ("localPath", .string(localPath)),
            ("spritePath", .string(spritePath)),
            ("branch", .optional(branch)),
            ("detached", .bool(detached)),
            ("operation", operation.map { .string($0.rawValue) } ?? .null),
            ("head", .optional(head?.hex)),
            ("remote", remoteName.map { .object([("name", .string($0)), ("url", .optional(remoteURL))]) } ?? .null),
            ("upstream", upstreamRef.map {
                .object([("ref", .string($0)), ("ahead", .optional(ahead)), ("behind", .optional(behind))])
            } ?? .null),
            ("changes", .object([
                ("modified", .int(changes.modified)), ("staged", .int(changes.staged)),
                ("untracked", .int(changes.untracked)), ("conflicted", .int(changes.conflicted)),
            ])),
            ("transport", .object([
                ("method", .string(transport.rawValue)),
                ("localCommits", .optional(localCommits)),
                ("reason", .string(transportReason)),
                ("snapshot", .bool(hasSnapshot)),
            ])),
            ("included", .array(included.files.map { f in
                .object([("path", .string(f.path)), ("looksSecret", .bool(f.looksSecret))])
            })),
            ("submodules", .array(submodules.map(\.json))),
        ])
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
            line(&out, "included", included.files.map { $0.path + ($0.looksSecret ? " (looks like a secret)" : "") }
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
            t = "clone from \(remoteName ?? "remote"), then \(localCommits ?? 0) local commit"
                + ((localCommits ?? 0) == 1 ? "" : "s") + " through the tunnel"
        case .tunnel: t = "whole branch through the tunnel (\(transportReason))"
        case .none: t = "nothing to ship (\(transportReason))"
        }
        if hasSnapshot && transport != .none {
            t += changes.isClean ? "; ignored files named in \(IncludedFiles.fileName) as a snapshot"
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
    var json: JSON {
        .object([
            ("name", .string(name)),
            ("path", .string(path)),
            ("spritePath", .string(spritePath)),
            ("url", .optional(url)),
            ("resolvedUrl", .optional(resolvedURL)),
            ("commit", .optional(commit?.hex)),
            ("initialized", .bool(initialized)),
            ("transport", .object([("method", .string(transport.rawValue)), ("reason", .string(transportReason))])),
            ("submodules", .array(submodules.map(\.json))),
        ])
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
