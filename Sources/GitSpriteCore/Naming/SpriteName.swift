import SpriteHTTP

/// Sprite names: one DNS label, derived from the repository and branch.
public enum SpriteName {
    /// Longest sprite name; the public URL `<name>-<org>.sprites.app` must stay one DNS label.
    public static let maxLength = 50

    /// `<repo>-<branch>` folded to `[a-z0-9-]`. When folding changed the branch name, the
    /// result had to be shortened, or it ends like the other forms (seven or eight hex digits),
    /// the first eight hex digits of SHA-256 of the exact branch
    /// name are appended, so `feature/x` and `feature-x` never share a sprite.
    public static func forBranch(_ branch: String, repository repo: String) -> String {
        let repoPart = fold(repo).isEmpty ? "repo" : fold(repo)
        let branchPart = fold(branch)
        let base = join(repoPart, branchPart)
        // a name kept as it is must not look like one of the other two forms (ending in eight hex
        // digits, a hashed name; in seven, a detached HEAD's): `fix-<hash of fix/x>` or a
        // branch named like a short commit could otherwise take another's sprite
        let lossless = branchPart == branch && base.count <= maxLength && !endsLikeAHash(base)
        if lossless { return base }
        let suffix = Digest.sha256Prefix(branch, digits: hashDigits)
        return join(trim(String(base.prefix(maxLength - suffix.count - 1))), suffix)
    }

    /// A derived name made this repository's own when another repository's sprite has it
    /// (`~/a/app` and `~/b/app`, both on `main`): the hash of the repository's root appended,
    /// `app-main-3f9c0a1b`, so each gets its own sprite without anyone choosing a name.
    public static func disambiguated(_ name: String, root: String) -> String {
        let suffix = Digest.sha256Prefix(root, digits: hashDigits)
        return join(trim(String(name.prefix(maxLength - suffix.count - 1))), suffix)
    }

    /// Hex digits of the hash a folded name ends with: 32 bits, so even a thousand branches
    /// whose names fold alike (non-Latin names fold to nothing) share a sprite with odds of
    /// about one in ten thousand (six digits made that about one in thirty).
    static let hashDigits = 8

    /// True when the last hyphen-separated part is seven or eight lower-case hex digits.
    static func endsLikeAHash(_ name: String) -> Bool {
        guard let dash = name.lastIndex(of: "-") else { return false }
        let last = name[name.index(after: dash)...]
        return [7, hashDigits].contains(last.count)
            && last.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// `<repo>-<short sha>` for a detached HEAD.
    public static func forDetachedHead(_ commit: String, repository repo: String) -> String {
        let repoPart = fold(repo).isEmpty ? "repo" : fold(repo)
        let sha = String(commit.prefix(7))
        return join(trim(String(repoPart.prefix(maxLength - sha.count - 1))), sha)
    }

    /// Lower-cases ASCII letters, turns every other character outside `[a-z0-9]` into a
    /// hyphen, collapses runs of hyphens and trims them from both ends.
    public static func fold(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let c: Character
            switch scalar.value {
            case 0x61...0x7a, 0x30...0x39: c = Character(scalar)
            case 0x41...0x5a: c = Character(Unicode.Scalar(scalar.value + 32)!)
            default: c = "-"
            }
            if c == "-" && (out.isEmpty || out.hasSuffix("-")) { continue }
            out.append(c)
        }
        return trim(out)
    }

    /// Checks a name given with `--name` or `sprite.name`; returns why it is invalid, or nil.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.count > maxLength { return "it is longer than \(maxLength) characters" }
        if name.unicodeScalars.contains(where: {
            !($0.value >= 0x61 && $0.value <= 0x7a)
                && !($0.value >= 0x30 && $0.value <= 0x39) && $0 != "-"
        }) {
            return "only lowercase letters, digits and hyphens are allowed"
        }
        if name.hasPrefix("-") || name.hasSuffix("-") { return "it starts or ends with a hyphen" }
        if name.contains("--") { return "it contains a double hyphen" }
        return nil
    }

    private static func join(_ a: String, _ b: String) -> String {
        if b.isEmpty { return a }
        if a.isEmpty { return b }
        return a + "-" + b
    }

    private static func trim(_ s: String) -> String {
        var s = Substring(s)
        while s.hasPrefix("-") { s = s.dropFirst() }
        while s.hasSuffix("-") { s = s.dropLast() }
        return String(s)
    }
}
