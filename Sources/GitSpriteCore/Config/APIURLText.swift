import Foundation

/// What the API's address (`sprite.api`, `SPRITES_API_URL`) may be: `local`, or an `http://`,
/// `https://` or `http+unix://` URL that names a host and nothing a request would carry
/// elsewhere. A user and password in it would be shown wherever the address is (errors,
/// `git sprite config`, `status --json`), and the token goes in its own setting; a query or a
/// fragment would be sent with, or cut from, every request's path.
enum APIURLText {
    /// Why `text` is not an address of the API, or nil when it is one.
    static func problem(with text: String) -> String? {
        if text == "local" { return nil }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "it has spaces or control characters"
        }
        if text.hasPrefix("http+unix://") {
            let socket = text.dropFirst("http+unix://".count)
            if socket.isEmpty { return "it names no socket" }
            // (a percent-encoded path: a user, password, query or fragment has no place in it)
            if socket.contains(where: { "@?#".contains($0) }) { return "it has a user, password, query or fragment" }
            return nil
        }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return "not http:// or https://" }
        guard let url = URLComponents(string: text) else { return "not a URL" }
        guard let host = url.host, !host.isEmpty else { return "it names no host" }
        if url.user != nil || url.password != nil {
            return "a user or password does not go in the address: the token goes in SPRITES_TOKEN"
        }
        if url.query != nil || url.fragment != nil { return "it has a query or fragment" }
        if let port = url.port, !(1...65535).contains(port) { return "its port is outside 1-65535" }
        return nil
    }

    /// `text` with any user and password, query and fragment left out, to be shown (a token
    /// is as often in `?token=…` as in a password: an adversarial review).
    static func withoutCredentials(_ text: String) -> String {
        var text = text
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            text = String(text[..<cut]) + String(text[cut]) + "…"
        }
        guard let scheme = text.range(of: "://") else { return text }
        let authorityEnd = text[scheme.upperBound...].firstIndex(where: { "/?#".contains($0) }) ?? text.endIndex
        guard let at = text[scheme.upperBound..<authorityEnd].lastIndex(of: "@") else { return text }
        return String(text[..<scheme.upperBound]) + "…@" + String(text[text.index(after: at)...])
    }
}
