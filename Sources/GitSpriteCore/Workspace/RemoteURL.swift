/// What git-sprite needs to know about a remote URL: is it reachable from a sprite, how to
/// show it without secrets, and how relative submodule URLs resolve against it.
public enum RemoteURL {
    /// Removes credentials: the whole user-info of `scheme://user:token@host/…` URLs (a token
    /// is often passed as the user name), leaving scp-like `git@host:path` untouched.
    public static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        let scheme = url[..<schemeEnd.lowerBound]
        if scheme == "ssh" && !authority[..<at].contains(":") {
            return url  // ssh://git@host/… names a login, not a secret
        }
        return String(url[..<schemeEnd.upperBound]) + String(afterScheme[authority.index(after: at)...])
    }

    /// True when the URL names a path on this machine, which a sprite cannot clone from.
    public static func isLocal(_ url: String) -> Bool {
        if url.hasPrefix("file://") || url.hasPrefix("/") || url.hasPrefix("./") || url.hasPrefix("../")
            || url.hasPrefix("~") || url == "." || url == ".."
        {
            return true
        }
        if url.contains("://") { return false }
        // scp-like syntax `host:path` needs a colon before the first slash
        if let colon = url.firstIndex(of: ":") {
            let slash = url.firstIndex(of: "/")
            return slash.map { $0 < colon } ?? false
        }
        return true
    }

    /// True for `./x` and `../x`, which `.gitmodules` resolves against the superproject's remote.
    public static func isRelative(_ url: String) -> Bool {
        url.hasPrefix("./") || url.hasPrefix("../") || url == "." || url == ".."
    }

    /// Resolves a relative submodule URL against `base` the way git does: each `../` drops one
    /// path component of the base (falling back to the `host:` part of scp-like URLs), `./` is
    /// dropped, and the rest is appended.
    public static func resolve(_ relative: String, against base: String) -> String {
        var url = base
        while url.count > 1 && url.hasSuffix("/") { url.removeLast() }
        var rel = Substring(relative)
        var separator: Character = "/"
        while true {
            if rel.hasPrefix("../") || rel == ".." {
                rel = rel.dropFirst(rel == ".." ? 2 : 3)
                if let slash = url.lastIndex(of: "/"), url.index(after: slash) != url.endIndex {
                    url = String(url[..<slash])
                    separator = "/"
                } else if let colon = url.lastIndex(of: ":") {
                    url = String(url[..<colon])
                    separator = ":"
                } else {
                    url = "."
                }
            } else if rel.hasPrefix("./") || rel == "." {
                rel = rel.dropFirst(rel == "." ? 1 : 2)
            } else {
                break
            }
        }
        return rel.isEmpty ? url : url + String(separator) + rel
    }
}
