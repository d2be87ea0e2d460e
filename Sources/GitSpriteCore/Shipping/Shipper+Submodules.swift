import Foundation
import SpriteGit
import SpriteHTTP
import SpriteSync
import SpritesAPI

extension Shipper {
    /// How many submodules' pushes through the tunnel run at once.
    static let concurrentSubmodulePushes = 8
    /// How many submodules one command looks at or checks out (their arguments travel in the
    /// request line, which has a limit).
    static let submodulesPerCommand = 16

    /// Ships the submodules of one superproject in a few commands whatever their number: one
    /// look at all of them (which also makes the mirrors of those the sprite lacks), their
    /// pushes through the tunnel several at once, one checkout of all of them in the
    /// superproject's order; then their own submodules the same way.
    ///
    /// A submodule in which moving would lose work of the sprite's (uncommitted changes,
    /// commits on a detached HEAD that no ref holds, work beside an unborn HEAD) is left as it
    /// is, with a note, and `keptAny` set: its work is then fetched home.
    func shipSubmodules(
        _ subs: [SubmodulePlan], localSuper: String, spriteSuper: String,
        notes: inout [String], keptAny: inout Bool
    ) throws {
        // what cannot be shipped is left out, initialised here or not (a repository git add
        // took in: no clone of the branch can check it out, the sprite's cannot either)
        for sm in subs where sm.transport == .none {
            notes.append("submodule \(sm.path) cannot be shipped (\(sm.transportReason))")
        }
        let shippable = subs.filter { $0.transport != .none }
        let pinned = shippable.compactMap { sm in sm.commit.map { (sm: sm, commit: $0.hex) } }
        let local = pinned.filter(\.sm.initialized)
        let mirrors = local.map {
            SpritePaths.modules + "/" + Digest.sha256Prefix(localSuper + "/" + $0.sm.path, digits: 16) + ".git"
        }
        var missing: Set<Int> = []
        for range in Self.chunks(local.count) {
            let args = [spriteSuper] + range.flatMap { [local[$0].sm.path, local[$0].commit, mirrors[$0]] }
            let answers = ScriptOutput(
                try remoteRun(InSpriteScript.submodulesReady, args, what: "looking at the submodules of \(spriteSuper)")
            ).lines.filter { $0.key == "sub" }.map(\.value)
            guard answers.count == range.count else {
                throw SpriteError(
                    "looking at the submodules of \(spriteSuper) in the sprite failed: an answer is missing")
            }
            for (i, answer) in zip(range, answers) where answer == "ship" { missing.insert(i) }
        }
        let environment = gitEnvironment
        try concurrently(missing.sorted(), limit: Self.concurrentSubmodulePushes) { i in
            try LocalGit(directory: localSuper + "/" + local[i].sm.path, environment: environment).check(
                ["push", "-q", "-f", remote(mirrors[i]), "\(local[i].commit):refs/heads/git-sprite-pinned"],
                what: "sending submodule \(local[i].sm.path)")
        }
        // what to check out, in the superproject's order: the tunnelled ones the sprite lacked,
        // and those the sprite clones from their URL
        var checkouts: [(sm: SubmodulePlan, mirror: String, commit: String)] = []
        for (sm, commit) in pinned {
            if let i = local.firstIndex(where: { $0.sm.path == sm.path }) {
                if missing.contains(i) { checkouts.append((sm, mirrors[i], commit)) }
            } else {
                checkouts.append((sm, "", commit))
            }
        }
        for range in Self.chunks(checkouts.count) {
            let args =
                [spriteSuper]
                + range.flatMap {
                    [checkouts[$0].sm.name, checkouts[$0].sm.path, checkouts[$0].mirror, checkouts[$0].commit]
                }
            let lines = ScriptOutput(
                try remoteRun(InSpriteScript.submodules, args, what: "checking out the submodules of \(spriteSuper)")
            ).lines
            let statuses = lines.indices.filter { lines[$0].key == "status" }
            guard statuses.count == range.count else {
                throw SpriteError(
                    "checking out the submodules of \(spriteSuper) in the sprite failed: an answer is missing")
            }
            for (i, at) in zip(range, statuses) where lines[at].value != "0" {
                let why = lines.indices.contains(at + 1) && lines[at + 1].key == "error" ? lines[at + 1].value : ""
                let sm = checkouts[i].sm
                if lines[at].value == "4" {
                    keptAny = true
                    let home =
                        sm.initialized
                        ? "the sprite's work there is fetched home (a detached HEAD as sprite/\(sprite)/HEAD in it)"
                        : "it is not checked out here, so nothing of it can come home until it is: "
                            + "git submodule update --init -- \(sm.path), then git sprite fetch"
                    notes.append(
                        "submodule \(sm.path): left as it is, not moved to \(checkouts[i].commit.prefix(12)): \(why); "
                            + home)
                    continue
                }
                if !checkouts[i].mirror.isEmpty {
                    throw SpriteError("checking out submodule \(sm.path) in the sprite failed: \(why)")
                }
                notes.append("submodule \(sm.path) could not be cloned in the sprite: \(why)")
            }
        }
        for (sm, _) in local where !sm.submodules.isEmpty {
            try shipSubmodules(
                sm.submodules, localSuper: localSuper + "/" + sm.path, spriteSuper: spriteSuper + "/" + sm.path,
                notes: &notes, keptAny: &keptAny)
        }
    }

    /// `0..<count` in ranges of at most `submodulesPerCommand`.
    static func chunks(_ count: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: submodulesPerCommand).map { $0..<min($0 + submodulesPerCommand, count) }
    }
}
