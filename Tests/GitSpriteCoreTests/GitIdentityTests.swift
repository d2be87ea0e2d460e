import Foundation
import Testing

@testable import GitSpriteCore

/// The identity's values are trimmed by hand (start-up); they must be trimmed exactly as
/// Foundation's `whitespacesAndNewlines` trims them, scalar by scalar.
@Suite("git identity")
struct GitIdentityTests {
    static let values = [
        "Ada", "  Ada Lovelace ", "\tada@example.com\n", "\u{00A0}Ada\u{3000}", " \u{0301}x", "x\u{0301} ",
        "\u{2028}Ada\u{2029}", "\r\nAda\r\n", "Ünïcödé Nämé", "日本 語 ", "🙂 ", "a\u{200B}",
    ]

    @Test(arguments: values) func aValueIsTrimmedAsFoundationTrimsIt(_ value: String) {
        let foundation = value.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(GitIdentity.clean(value) == (foundation.isEmpty ? nil : foundation))
    }

    @Test func whatGitWouldRefuseIsNoIdentity() {
        for value in ["", "   ", "\n", "a <b>", "<a@b>", "a\nb", "x>y"] {
            #expect(GitIdentity.clean(value) == nil, "\(value.debugDescription)")
        }
    }
}
