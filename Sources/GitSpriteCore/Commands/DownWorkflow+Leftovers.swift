import Foundation
import SpritesAPI

/// What stays in a sprite that `down --destroy` deletes: what no fetch brings home, said before
/// it goes and, when forced, packed.
extension DownWorkflow {
    /// Says what no fetch brings home (ignored files, files outside the repositories, empty
    /// directories, the files of a work tree git cannot read: `InSpriteScript.leftovers`), and
    /// with `save` packs them there when their total is at most `limit` bytes. A failure to look is a note, never a reason to keep
    /// the sprite: nothing of this was ever promised to come home.
    static func leftovers(
        _ homecoming: Homecoming, plan: WorkspacePlan?, save directory: String?, limit: Int
    )
        -> (notes: [String], archive: String?)
    {
        let archive = SpritePaths.state + "/leftovers.tar.gz"
        let repos =
            plan.map { ([$0.primary] + $0.linked).map(\.spritePath) } ?? (try? homecoming.repositoriesInSprite()) ?? []
        let out: ScriptOutput
        do {
            out = ScriptOutput(
                try homecoming.shipper.remoteRun(
                    InSpriteScript.leftovers,
                    [SpritePaths.home, directory == nil ? "" : archive, String(limit)] + repos,
                    what: "listing what stays in the sprite"))
        } catch {
            return (
                ["note: could not list what stays in the sprite: \((error as? SpriteError)?.message ?? "\(error)")"],
                nil
            )
        }
        func counted(_ key: String) -> (files: Int, bytes: Int) {
            let parts = (out[key] ?? "").split(separator: " ").compactMap { Int($0) }
            return (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
        }
        func described(_ what: String, _ kind: String, bytes: Int?) -> String {
            let e = out.all("example." + kind).map(ServerText.oneLine)
            let details =
                (bytes.map { [ByteCountText.text($0)] } ?? [])
                + (e.isEmpty ? [] : ["e.g. " + e.joined(separator: ", ")])
            return what + (details.isEmpty ? "" : " (" + details.joined(separator: "; ") + ")")
        }
        var parts: [String] = []
        let (ignored, outside, empty) = (counted("ignored"), counted("outside"), counted("empty").files)
        if ignored.files > 0 {
            parts.append(described(Homecoming.count(ignored.files, "ignored file"), "ignored", bytes: ignored.bytes))
        }
        if outside.files > 0 {
            parts.append(
                described(
                    Homecoming.count(outside.files, "file") + " outside the repositories", "outside",
                    bytes: outside.bytes))
        }
        let unread = counted("unread")
        if unread.files > 0 {
            parts.append(
                described(
                    Homecoming.count(unread.files, "file") + " in a work tree git cannot read", "unread",
                    bytes: unread.bytes))
        }
        if empty > 0 {
            parts.append(
                described(Homecoming.count(empty, "empty directory", "empty directories"), "empty", bytes: nil))
        }
        guard !parts.isEmpty else { return ([], nil) }
        var notes = ["not coming home with the sprite (no fetch brings these): " + parts.joined(separator: "; ")]
        guard let directory else { return (notes, nil) }
        let tooLarge =
            "not saved: more than \(ByteCountText.text(limit)) (git config sprite.salvage.maxSize MB raises the limit)"
        if out["saved"] != nil, let data = try? homecoming.api.readFile(homecoming.sprite, path: archive),
            (try? FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])) != nil,
            TemporaryFiles.writePrivately(data, to: directory + "/leftovers.tar.gz", replacing: true)
        {
            let partly = out["unsaved"] == "too large"
            notes.append(
                "saved \(partly ? "the files of the work tree git cannot read" : "them") in "
                    + "\(directory)/leftovers.tar.gz (unpack with: tar -xzf \(shellQuote(directory + "/leftovers.tar.gz")) -C DIR)"
            )
            if partly { notes.append("the others " + tooLarge) }
            return (notes, directory + "/leftovers.tar.gz")
        } else if out["unsaved"] == "too large" {
            notes.append(tooLarge)
        } else if let why = out["unsaved"], why != "nothing" {
            notes.append("not saved: \(why)")
        }
        return (notes, nil)
    }
}
