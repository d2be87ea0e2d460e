import Foundation
import SpriteWire

#if canImport(Glibc)
    import Glibc
#endif

/// A sprite's network policy (Sprites API) and what the host makes of it.
///
/// - No rules: `open`, the outside world through slirp4netns (never the host's loopback).
/// - Only `{"domain":"*","action":"deny"}`: `blocked`, no route out at all.
/// - Anything else: `filtered`. The sprite still has no route out; an HTTP proxy on its own
///   loopback, offered through the standard proxy variables, lets through the names the rules
///   allow (the most specific rule wins: exact name, then the longest `*.suffix`, then `*`;
///   at equal rank a deny wins). A name no rule matches is refused when the policy allows
///   anything by name (an allow-list means only what it lists) and let through when it only
///   denies. IP literals, in every spelling `inet_aton` and `inet_pton` take (`0x7f.1`,
///   `0300.0250.0.1`, `2130706433`, `[::1]`), are refused, since no rule can name them, and so
///   is any name that resolves to a loopback, link-local, multicast or unspecified address.
///   What does not use the proxy cannot leave.
struct NetworkPolicy: Sendable, Equatable {
    enum Mode: String, Sendable { case open, blocked, filtered }

    let rules: [PolicyRule]

    var mode: Mode {
        if rules.isEmpty { return .open }
        let denyAll = rules.contains { $0.domain == "*" && $0.action == "deny" }
        let allows = rules.contains { $0.action == "allow" || $0.include != nil }
        return denyAll && !allows ? .blocked : .filtered
    }

    /// Hosts of the `defaults` preset: package registries, code hosts and the major AI APIs.
    static let defaultsPreset = [
        "github.com", "*.github.com", "*.githubusercontent.com", "gitlab.com", "*.gitlab.com", "bitbucket.org",
        "registry.npmjs.org", "*.npmjs.org", "*.npmjs.com", "registry.yarnpkg.com", "pypi.org", "*.pypi.org",
        "files.pythonhosted.org", "rubygems.org", "*.rubygems.org", "crates.io", "*.crates.io", "proxy.golang.org",
        "sum.golang.org", "*.docker.io", "*.docker.com", "ghcr.io", "*.amazonaws.com", "*.googleapis.com",
        "*.azure.com", "api.anthropic.com", "*.anthropic.com", "claude.ai", "api.openai.com", "deb.debian.org",
        "security.debian.org", "archive.ubuntu.com", "security.ubuntu.com",
    ]

    /// Checks a rule list: each rule has exactly one of `domain` and `include`, an action of
    /// `allow` or `deny` with a domain, a known preset, and a domain that is a host name with
    /// an optional leading `*.` (or `*`).
    static func validate(_ rules: [PolicyRule]) throws {
        guard rules.count <= 1000 else { throw HostError.badRequest("invalid policy: at most 1000 rules") }
        for rule in rules {
            guard (rule.domain == nil) != (rule.include == nil) else {
                throw HostError.badRequest("invalid policy: each rule needs exactly one of domain and include")
            }
            if let domain = rule.domain {
                guard ["allow", "deny"].contains(rule.action ?? "") else {
                    throw HostError.badRequest("invalid policy: action must be allow or deny")
                }
                guard domain == "*" || isHostPattern(domain) else {
                    throw HostError.badRequest("invalid policy: '\(domain.prefix(100))' is not a host name or *.suffix")
                }
            }
            if let include = rule.include, include != "defaults" {
                throw HostError.badRequest("invalid policy: unknown preset '\(include.prefix(100))' (only defaults)")
            }
        }
    }

    private static func isHostPattern(_ text: String) -> Bool {
        let name = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
        guard !name.isEmpty, name.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }

    /// Whether the proxy lets a connection to `host` through, and why not.
    func allows(host rawHost: String) -> (Bool, String) {
        let host = rawHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        if host.isEmpty || Self.isAddress(host) {
            return (false, "IP addresses cannot be allowed by name")
        }
        var expanded: [(pattern: String, allow: Bool)] = []
        for rule in rules {
            if let domain = rule.domain { expanded.append((domain.lowercased(), rule.action == "allow")) }
            if rule.include == "defaults" { expanded += Self.defaultsPreset.map { ($0, true) } }
        }
        // most specific first: exact, then the longest wildcard suffix, then *
        var best: (rank: Int, allow: Bool)?
        for (pattern, allow) in expanded {
            var rank = -1
            if pattern == host {
                rank = Int.max
            } else if pattern.hasPrefix("*."), host.hasSuffix(String(pattern.dropFirst(1))) {
                rank = pattern.count
            } else if pattern == "*" {
                rank = 0
            }
            guard rank >= 0 else { continue }
            if let current = best {
                if rank < current.rank { continue }
                // at equal rank a deny wins
                if rank == current.rank && (allow || !current.allow) { continue }
            }
            best = (rank, allow)
        }
        guard let best else {
            // an allow-list means only what it lists; a policy that only denies lets the rest out
            if expanded.contains(where: \.allow) {
                return (
                    false, "no rule of the sprite's network policy allows \(host) (it allows only the names it lists)"
                )
            }
            return (true, "no rule matches")
        }
        return best.allow ? (true, "allowed") : (false, "\(host) is denied by the sprite's network policy")
    }

    /// Whether `host` is an address in any spelling the C library takes for one: dotted,
    /// octal, hexadecimal or a single number (`inet_aton`), or IPv6 (with or without brackets).
    static func isAddress(_ host: String) -> Bool {
        if host.contains(":") { return true }
        var v4 = in_addr()
        if inet_aton(host, &v4) != 0 { return true }
        return host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
