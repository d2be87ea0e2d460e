import ArgumentParser
import Testing

@testable import GitSpriteCLI

/// `plan` and `exec` read without the parser (QuickArguments) must read every form they take
/// exactly as the parser does, and leave every other form to it.
@Suite("plan and exec read without the parser")
struct QuickParseTests {
    static let plans: [[String]] = [
        ["plan"], ["plan", "--json"], ["plan", "-v"], ["plan", "--verbose", "--json"], ["plan", "-q"],
        ["plan", "--quiet", "-v"], ["plan", "--name", "x"], ["plan", "--name=feature/y"],
        ["plan", "--json", "--name", "a b", "-v"], ["plan", "--name", "x=y", "--quiet"],
    ]

    static let execs: [[String]] = [
        ["exec", "--", "true"], ["exec", "box", "--", "ls", "-la"], ["exec", "--dir", "/tmp", "--", "pwd"],
        ["exec", "--dir=/srv", "b", "--", "x"], ["exec", "-t", "--", "htop"], ["exec", "--tty", "-i", "--", "sh"],
        ["exec", "-v", "feature/x", "--interactive", "--", "cat"], ["exec", "-q", "--", "--", "-v", "--help"],
        ["exec", "b", "--dir", "d", "-t", "-i", "-q", "--", "a", "--dir", "x"], ["exec", "--", "-"],
    ]

    static let left: [[String]] = [
        ["plan", "--json", "--json"], ["plan", "-h"], ["plan", "--help"], ["plan", "--name"],
        ["plan", "--name", "-v"], ["plan", "--name="], ["plan", "--name", ""], ["plan", "-vq"],
        ["plan", "extra"], ["plan", "--"], ["-v", "plan"], ["plan", "--nam", "x"], ["plan", "-v", "--verbose"],
        ["plan", "--name", "a", "--name=b"], ["plan", "--name=-x"], ["plan", "--JSON"], ["plan", "--json=1"],
        ["help", "plan"], ["up"], [],
        ["exec"], ["exec", "--"], ["exec", "box"], ["exec", "true"], ["exec", "-it", "--", "sh"],
        ["exec", "-t", "-t", "--", "x"], ["exec", "-t", "--tty", "--", "x"], ["exec", "a", "b", "--", "x"],
        ["exec", "--dir", "--", "x"], ["exec", "--dir", "-x", "--", "y"], ["exec", "--dir=", "--", "y"],
        ["exec", "--help", "--", "x"], ["exec", "help", "--", "x"], ["exec", "--json", "--", "x"],
        ["exec", "-h"], ["exec", "--dir", "a", "--dir", "b", "--", "x"], ["exec", "-", "--", "x"],
    ]

    @Test(arguments: plans) func aPlainPlanIsReadAsTheParserReadsIt(_ arguments: [String]) throws {
        let quick = try #require(QuickArguments(arguments, .plan))
        let parsed = try #require(try GitSprite.parseAsRoot(arguments) as? Plan)
        var expected = QuickArguments(flags: parsed.global.flags)
        if parsed.json { expected.flags.insert("json") }
        expected.options["name"] = parsed.name
        #expect(quick == expected)
    }

    @Test(arguments: execs) func aPlainExecIsReadAsTheParserReadsIt(_ arguments: [String]) throws {
        let quick = try #require(QuickArguments(arguments, .exec))
        let parsed = try #require(try GitSprite.parseAsRoot(arguments) as? Exec)
        var expected = QuickArguments(
            flags: parsed.global.flags, positional: parsed.target.sprite, rest: parsed.command)
        if parsed.tty { expected.flags.insert("tty") }
        if parsed.interactive { expected.flags.insert("interactive") }
        expected.options["dir"] = parsed.directory
        #expect(quick == expected)
    }

    @Test(arguments: left) func everyOtherFormIsLeftToTheParser(_ arguments: [String]) {
        #expect(QuickArguments(arguments, .plan) == nil)
        #expect(QuickArguments(arguments, .exec) == nil)
    }
}

extension GlobalOptions {
    /// The global flags as QuickArguments names them.
    fileprivate var flags: Set<String> {
        Set((verbose ? ["verbose"] : []) + (quiet ? ["quiet"] : []))
    }
}
