import Foundation

/// The API's timestamps (RFC 3339, with or without fractions of a second).
public enum Timestamps {
    /// The moment `text` names, or nil when it is not RFC 3339.
    public static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
