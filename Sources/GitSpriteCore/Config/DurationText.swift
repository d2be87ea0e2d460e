import Foundation

/// Durations as people write them on a command line: `90`, `90s`, `15m`, `2h`, `3d`, `1w`,
/// or several together (`1h30m`). Zero, negative, more than 100 years and anything else is
/// refused.
public enum DurationText {
    public static func parse(_ text: String, flag: String) throws -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        var total = 0.0
        var number = ""
        var sawUnit = false
        for c in text {
            if c.isASCII && c.isNumber {
                number.append(c)
            } else if let unit = units[c], let n = Double(number) {
                total += n * unit
                number = ""
                sawUnit = true
            } else {
                throw invalid(text, flag)
            }
        }
        if !number.isEmpty {
            // a bare number is seconds, but not after a unit (`1h30` is unclear)
            guard !sawUnit, let n = Double(number) else { throw invalid(text, flag) }
            total += n
        }
        // (bounded: a time this far ahead is a date no clock or label can hold)
        guard total > 0, total <= longest, !text.isEmpty else { throw invalid(text, flag) }
        return total
    }

    /// The longest duration taken: 100 years (5218w).
    public static let longest: TimeInterval = 100 * 365.25 * 86400

    static func invalid(_ text: String, _ flag: String) -> SpriteError {
        SpriteError(
            "\(flag) '\(text)' is not a duration",
            hints: ["write a positive number with a unit, at most 100 years: 90s, 15m, 2h, 3d, 1w (or 1h30m)"],
            status: .usage)
    }
}
