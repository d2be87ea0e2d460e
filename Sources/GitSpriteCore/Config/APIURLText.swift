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
            return text.count > "http+unix://".count ? nil : "it names no socket"
        }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return "not http:// or https://" }
        guard let url = URLComponents(string: text) else { return "not a URL" }
        guard let host = url.host, !host.isEmpty else { return "it names no host" }
        if url.user != nil || url.password != nil {
            return "a user or password does not go in the address: the token goes in SPRITES_TOKEN"
        }
        if url.query != nil || url.fragment != nil { return "it has a query or fragment" }
        return nil
    }

    /// `text` with any user and password left out, to be shown.
    static func withoutCredentials(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound <= at,
            !text[scheme.upperBound..<at].contains("/")
        else { return text }
        return String(text[..<scheme.upperBound]) + "…@" + String(text[text.index(after: at)...])
    }
}
