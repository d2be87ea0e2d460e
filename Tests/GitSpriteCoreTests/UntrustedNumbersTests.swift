import Foundation
import TestSupport
import Testing

@testable import GitSpriteCore

/// Numbers from where a user or the sprite may write anything, read without a trap and as
/// what they say (an adversarial review found both).
@Suite("numbers read from outside", .offThePool)
struct UntrustedNumbersTests {
    /// The agent's state file is the sprite's to write: `waiting 1e300` (or nan, inf) made
    /// `status` and `wait` die of SIGILL turning the age into an Int.
    @Test func anAgentStateWithATimeThatIsNoTimeHasNoAge() {
        for since in ["1e300", "-1e300", "nan", "inf", "-inf", "99999999999999999999"] {
            let report = AgentReport(ScriptOutput("agent=running\nstate=waiting\nsince=\(since)\nnow=1700000000\n"))
            #expect(report.since == nil, "\(since)")
            #expect(report.describe() == "waiting for input", "\(since)")
        }
        let sane = AgentReport(ScriptOutput("agent=running\nstate=working\nsince=1699999880\nnow=1700000000\n"))
        #expect(sane.describe() == "working for 2m")
        for seconds in [Double.nan, .infinity, -.infinity, 1e300, -5] {
            #expect(!AgentReport.duration(seconds).isEmpty)
        }
    }

    /// `forward 00008080` forwarded port 80: the number was cut to its first six digits,
    /// leading zeros and all.
    @Test func aPortWithLeadingZerosIsThatPort() throws {
        #expect(try ForwardWorkflow.port("00008080") == ForwardWorkflow.Ports(local: 8080, remote: 8080))
        #expect(try ForwardWorkflow.port("0:0008080") == ForwardWorkflow.Ports(local: 0, remote: 8080))
        #expect(throws: SpriteError.self) { try ForwardWorkflow.port("0000000000065536") }
        #expect(throws: SpriteError.self) { try ForwardWorkflow.port("1000000") }
    }
}
