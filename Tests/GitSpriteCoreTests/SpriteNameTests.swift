import Testing
@testable import GitSpriteCore

@Suite("sprite names")
struct SpriteNameTests {
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
        // the suffix is the first six hex digits of SHA-256 of the exact branch name
        #expect(slash == "app-feature-x-" + String(SHA256.hex(Array("feature/x".utf8)).prefix(6)))
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
        #expect(name.hasSuffix("-" + String(SHA256.hex(Array(branch.utf8)).prefix(6))))
    }

    @Test func detachedHeadUsesTheShortSha() {
        #expect(SpriteName.forDetachedHead("0123456789abcdef", repository: "App") == "app-0123456")
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func validationRejectsWhatIsNotALabel() {
        #expect(SpriteName.problem(with: "ok-name") == nil)
        #expect(SpriteName.problem(with: "Bad") != nil)
        #expect(SpriteName.problem(with: "a--b") != nil)
        #expect(SpriteName.problem(with: "-a") != nil)
        #expect(SpriteName.problem(with: String(repeating: "a", count: 51)) != nil)
    }
}
