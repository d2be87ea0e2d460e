import ArgumentParser
import Testing

@testable import GitSpriteCLI

/// `plan` read without the parser (QuickPlan) must read every form it takes exactly as the
/// parser does, and leave every other form to it.
@Suite("plan read without the parser")
struct QuickPlanTests {
    static let taken: [[String]] = [
        ["plan"], ["plan", "--json"], ["plan", "-v"], ["plan", "--verbose", "--json"], ["plan", "-q"],
        ["plan", "--quiet", "-v"], ["plan", "--name", "x"], ["plan", "--name=feature/y"],
        ["plan", "--json", "--name", "a b", "-v"], ["plan", "--name", "x=y", "--quiet"],
    ]

    static let left: [[String]] = [
        ["plan", "--json", "--json"], ["plan", "-h"], ["plan", "--help"], ["plan", "--name"],
        ["plan", "--name", "-v"], ["plan", "--name="], ["plan", "--name", ""], ["plan", "-vq"],
        ["plan", "extra"], ["plan", "--"], ["-v", "plan"], ["plan", "--nam", "x"], ["plan", "-v", "--verbose"],
        ["plan", "--name", "a", "--name=b"], ["plan", "--name=-x"], ["plan", "--JSON"], ["help", "plan"],
        ["up"], [],
    ]

    @Test(arguments: taken) func aPlainFormIsReadAsTheParserReadsIt(_ arguments: [String]) throws {
        let quick = try #require(QuickPlan(arguments))
        let parsed = try #require(try GitSprite.parseAsRoot(arguments) as? Plan)
        let expected = QuickPlan(
            json: parsed.json, verbose: parsed.global.verbose, quiet: parsed.global.quiet, name: parsed.name)
        #expect(quick == expected)
    }

    @Test(arguments: left) func everyOtherFormIsLeftToTheParser(_ arguments: [String]) {
        #expect(QuickPlan(arguments) == nil)
    }
}
