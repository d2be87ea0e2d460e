import Foundation
import Testing

@testable import SpriteHost

/// The query's names and values decoded byte by byte, as Foundation's `removingPercentEncoding`
/// (after `+` became a space) decoded them, falling back to the text as it came.
@Suite("sprite-host query decoding")
struct QueryTests {
    static func foundation(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }

    @Test func everyEscapeReadsAsFoundationReadsIt() {
        let corpus = [
            "", "a", "a+b", "%20", "%2B", "%2b", "%", "%2", "%zz", "%%", "100%", "%C3%A9", "%C3", "%FF",
            "%E2%82%AC+%E2%82", "%00", "a%2Fb%3Dc%26d", "é", "%c3%a9x", "+%", "%+", "%2%20",
        ]
        for text in corpus {
            #expect(Query.decode(Substring(text)) == Self.foundation(text), "\(text)")
        }
        // random texts over the bytes that matter
        let alphabet = Array("%+aF9zé0%2C3".unicodeScalars) + ["\u{0}", "A", "c", "8"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...8, using: &generator)
            var text = ""
            for _ in 0..<length { text.unicodeScalars.append(alphabet.randomElement(using: &generator)!) }
            #expect(Query.decode(Substring(text)) == Self.foundation(text), "\(text.debugDescription)")
        }
    }

    @Test func pairsKeepTheirOrderAndRepeats() {
        let q = Query("cmd=echo&cmd=a+b&env=K%3DV&stdin&=x&path=%2Fbin%2Fecho")
        #expect(q.all("cmd") == ["echo", "a b"])
        #expect(q["env"] == "K=V" && q["stdin"] == "" && q[""] == "x" && q["path"] == "/bin/echo")
    }
}
