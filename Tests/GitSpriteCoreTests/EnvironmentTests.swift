import Foundation
import Testing

@testable import GitSpriteCore

/// The process environment as git-sprite reads it (from `environ`, split at the first `=`).
@Suite("client: the process environment")
struct EnvironmentTests {
    @Test func entriesAreSplitAtTheFirstEqualsSignAndTheFirstOfANameWins() {
        let texts = ["EQUALS=a=b==c", "EMPTY=", "UNICODE=grüße ✓", "NOEQUALS", "EQUALS=second", "=nameless"]
        var pointers: [UnsafeMutablePointer<CChar>?] = texts.map { strdup($0) } + [nil]
        defer { for p in pointers { free(p) } }
        let read = pointers.withUnsafeMutableBufferPointer { processEnvironment($0.baseAddress!) }
        #expect(read == ["EQUALS": "a=b==c", "EMPTY": "", "UNICODE": "grüße ✓", "": "nameless"])
    }

    @Test func theProcessEnvironmentIsWhatFoundationReads() {
        #expect(processEnvironment() == ProcessInfo.processInfo.environment)
    }
}
