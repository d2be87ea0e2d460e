import TestSupport
import Testing

@testable import GitSpriteCore

@Suite("git -c parameters", .offThePool)
struct GitConfigParametersTests {
    @Test func parsesGitsQuotedFormsAndNormalisesNames() {
        let parsed = GitConfigParameters.parse(environment: [
            "GIT_CONFIG_PARAMETERS": "'Sprite.Resources.CPU'='3' 'sprite.name'='it'\\''s' 'old.form=x' 'bare.key'"
        ])
        #expect(parsed.map(\.name) == ["sprite.Resources.cpu", "sprite.name", "old.form", "bare.key"])
        #expect(parsed.map(\.value) == ["3", "it's", "x", nil])
    }

    @Test func readsTheNumberedForm() {
        let parsed = GitConfigParameters.parse(environment: [
            "GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "sprite.api", "GIT_CONFIG_VALUE_0": "local",
            "GIT_CONFIG_KEY_1": "sprite.name", "GIT_CONFIG_VALUE_1": "n",
        ])
        #expect(parsed.map(\.name) == ["sprite.api", "sprite.name"])
        #expect(parsed.map(\.value) == ["local", "n"])
    }

    /// git reads the numbered pairs first, then `-c`'s, which therefore win
    /// (`GIT_CONFIG_COUNT=1 … git -c x.y=4 config x.y` says 4).
    @Test func gitDashCComesAfterTheNumberedPairs() {
        let parsed = GitConfigParameters.parse(environment: [
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "sprite.resources.cpu", "GIT_CONFIG_VALUE_0": "2",
            "GIT_CONFIG_PARAMETERS": "'sprite.resources.cpu'='4'",
        ])
        #expect(parsed.map(\.value) == ["2", "4"])
    }
}
