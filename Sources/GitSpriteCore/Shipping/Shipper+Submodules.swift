import Foundation
import SpriteGit
import SpriteHTTP
import SpriteSync
import SpritesAPI

extension Shipper {
    func shipSubmodules(
        _ subs: [SubmodulePlan], localSuper: String, spriteSuper: String,
        notes: inout [String]
    ) throws {
        for sm in subs {
            guard let commit = sm.commit?.hex else { continue }
            if sm.initialized {
                let localSub = localSuper + "/" + sm.path
                let ready = try api.run(
                    sprite, InSpriteScript.submoduleReady, [spriteSuper, sm.path, commit],
                    directory: SpritePaths.home)
                if ready.status != 0 {
                    let mirror = SpritePaths.modules + "/" + Digest.sha256Prefix(localSub, digits: 16) + ".git"
                    try remoteRun(["git", "init", "-q", "--bare", mirror], what: "creating a mirror for \(sm.path)")
                    let sub = LocalGit(directory: localSub, environment: gitEnvironment)
                    try sub.check(
                        ["push", "-q", "-f", remote(mirror), "\(commit):refs/heads/git-sprite-pinned"],
                        what: "sending submodule \(sm.path)")
                    let r = try checkOut(sm, in: spriteSuper, from: mirror, at: commit)
                    if r.status != 0 {
                        throw SpriteError(
                            "checking out submodule \(sm.path) in the sprite failed: \(lastLine(of: r.stderr) ?? "")")
                    }
                }
                try shipSubmodules(
                    sm.submodules, localSuper: localSub, spriteSuper: spriteSuper + "/" + sm.path,
                    notes: &notes)
            } else if sm.transport == .none {
                notes.append("submodule \(sm.path) cannot be shipped (\(sm.transportReason))")
            } else {
                let r = try checkOut(sm, in: spriteSuper, from: "", at: commit)
                if r.status != 0 {
                    notes.append(
                        "submodule \(sm.path) could not be cloned in the sprite: \(lastLine(of: r.stderr) ?? "")")
                }
            }
        }
    }

    /// Runs `InSpriteScript.submodule`: the submodule from `mirror` (tunnelled), or from its URL
    /// when `mirror` is empty.
    private func checkOut(
        _ sm: SubmodulePlan, in spriteSuper: String, from mirror: String, at commit: String
    )
        throws -> (status: Int32, stdout: Data, stderr: Data)
    {
        try api.run(
            sprite, InSpriteScript.submodule, [spriteSuper, sm.name, sm.path, mirror, commit],
            directory: SpritePaths.home)
    }
}
