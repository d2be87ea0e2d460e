import SpriteHTTP
import TestSupport
import Testing

@testable import GitSpriteCore

@Suite("sprite names", .offThePool)
struct SpriteNameTests {
    /// A hint names the sprite as it was named, so copying it acts on the same sprite; never
    /// as an option (`down -- -x` hinted `git sprite down --destroy -x`, which the parser
    /// refused).
    @Test func aHintNamesTheSpriteSoThatCopyingItActsOnIt() {
        #expect(SpriteTarget.hintOperand(nil, resolved: "app-main") == "")
        #expect(SpriteTarget.hintOperand("feature/x", resolved: "app-feature-x-1a2b3c4d") == " feature/x")
        #expect(SpriteTarget.hintOperand("it's", resolved: "app-it-s") == " 'it'\\''s'")
        #expect(SpriteTarget.hintOperand("-x", resolved: "app-x-a4209624") == " app-x-a4209624")
        #expect(SpriteTarget.hintOperand("-x", resolved: nil) == " -- -x")
    }

    @Test func plainBranchNamesStayReadableWithoutHash() {
        #expect(SpriteName.forBranch("main", repository: "app") == "app-main")
        #expect(SpriteName.forBranch("fix-42", repository: "My App") == "my-app-fix-42")
    }

    @Test func foldingAddsAHashSoSimilarBranchesNeverCollide() {
        let slash = SpriteName.forBranch("feature/x", repository: "app")
        let dash = SpriteName.forBranch("feature-x", repository: "app")
        #expect(dash == "app-feature-x")
        #expect(slash.hasPrefix("app-feature-x-"))
        #expect(slash != dash)
        // the suffix is the first eight hex digits of SHA-256 of the exact branch name
        #expect(slash == "app-feature-x-" + String(Digest.hex(Digest.sha256(Array("feature/x".utf8))).prefix(8)))
    }

    @Test(arguments: [
        "Feature/UPPER", "release/1.2.3", "naïve-ünïcödé-分支", "$(touch pwned)", "`id`", "a..b", "-lead",
        String(repeating: "long", count: 50), "x; rm -rf ~", "trailing-", "weird--double",
    ])
    func everyFoldedNameIsOneValidDNSLabel(branch: String) {
        let name = SpriteName.forBranch(branch, repository: "repo")
        #expect(SpriteName.problem(with: name) == nil, "\(name)")
        #expect(name.count <= 50)
    }

    @Test func longNamesAreTruncatedWithTheHash() {
        let branch = String(repeating: "b", count: 200)
        let name = SpriteName.forBranch(branch, repository: "repo")
        #expect(name.count == 50)
        #expect(name.hasSuffix("-" + String(Digest.hex(Digest.sha256(Array(branch.utf8))).prefix(8))))
    }

    @Test func detachedHeadUsesTheShortSha() {
        #expect(SpriteName.forDetachedHead("0123456789abcdef", repository: "App") == "app-0123456")
    }

    @Test func validationRejectsWhatIsNotALabel() {
        #expect(SpriteName.problem(with: "ok-name") == nil)
        #expect(SpriteName.problem(with: "Bad") != nil)
        #expect(SpriteName.problem(with: "a--b") != nil)
        #expect(SpriteName.problem(with: "-a") != nil)
        #expect(SpriteName.problem(with: String(repeating: "a", count: 51)) != nil)
    }
}
