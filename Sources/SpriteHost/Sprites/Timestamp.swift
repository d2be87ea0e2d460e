import Foundation

/// RFC 3339 with whole seconds and `Z`, as every SDK can parse: `2026-12-06T07:53:54Z`.
///
/// Made from the calendar fields `gmtime_r` gives, not with `ISO8601DateFormatter`: a formatter
/// builds ICU date-format symbols for its locale each time one is made, and a directory listing
/// formats one time per entry (300,000 entries took the host about 35 s of CPU that way).
enum Timestamp {
    static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return format(seconds: seconds.isFinite && abs(seconds) < 1e15 ? Int(seconds) : 0)
    }

    /// `seconds` since 1970 in UTC; a time the C library cannot represent reads as 1970.
    static func format(seconds: Int) -> String {
        var time = time_t(seconds)
        var fields = tm()
        if gmtime_r(&time, &fields) == nil {
            time = 0
            _ = gmtime_r(&time, &fields)
        }
        let year = Int(fields.tm_year) + 1900
        return (year >= 0 ? digits(year, 4) : "-" + digits(-year, 4)) + "-" + digits(Int(fields.tm_mon) + 1, 2)
            + "-" + digits(Int(fields.tm_mday), 2) + "T" + digits(Int(fields.tm_hour), 2) + ":"
            + digits(Int(fields.tm_min), 2) + ":" + digits(Int(fields.tm_sec), 2) + "Z"
    }

    /// `value` in decimal, zero-padded to at least `width` digits.
    private static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
