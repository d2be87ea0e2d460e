import Foundation
import Testing

@testable import SpriteHost

/// The host's RFC 3339 times, made without a date formatter, read as a formatter writes them.
@Suite("sprite-host timestamps")
struct TimestampTests {
    @Test func everySecondReadsAsAFormatterWritesIt() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime]
        reference.timeZone = TimeZone(identifier: "UTC")
        // the epoch, a leap day, the last second of a leap year and of 9999, a time before 1970,
        // the 2038 boundary, and a spread of times between
        var moments = [0, 951_782_400, 1_483_228_799, 253_402_300_799, -1, -86_400 * 365, 2_147_483_647, 2_147_483_648]
        var generator = SystemRandomNumberGenerator()
        moments += (0..<2000).map { _ in Int.random(in: -2_000_000_000...8_000_000_000, using: &generator) }
        for seconds in moments {
            let expected = reference.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(Timestamp.format(seconds: seconds) == expected, "\(seconds)")
            #expect(Timestamp.format(Date(timeIntervalSince1970: TimeInterval(seconds) + 0.75)) == expected)
        }
    }

    @Test func aTimeNoCalendarHoldsReadsAsTheEpoch() {
        #expect(Timestamp.format(seconds: .max) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(seconds: .min) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: .infinity)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00Z")
    }
}
