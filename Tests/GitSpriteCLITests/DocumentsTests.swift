import Foundation
import TestSupport
import Testing

/// The man page, the completions and the compatibility table, held to the parser and the
/// client's code, so a flag or a call cannot change without its documentation changing (the
/// checks that run shells and `man` stay end to end in `DocsTests`).
@Suite("documents bound to the code, in-process", .offThePool)
struct DocumentsTests {
    @Test func theManPageDocumentsEveryCommandFlagAndSetting() throws {
        let man = try SourceTree.read("man/man1/git-sprite.1")
        let commands = try CLIDocs.commands()
        #expect(!commands.isEmpty)
        for (command, flags) in commands {
            #expect(man.contains(".SS \"git sprite \(command)\""), "man page lacks \(command)")
            for flag in flags {
                #expect(
                    man.contains("\\-\\-" + flag.replacingOccurrences(of: "-", with: "\\-")),
                    "man page lacks --\(flag) of \(command)")
            }
        }
        for key in [
            "sprite.api", "sprite.name", "sprite.resources.cpu", "sprite.resources.memory",
            "sprite.lifecycle.autoDestroy", "sprite.lifecycle.autoCheckpoint",
            "sprite.network.defaultPolicy", "sprite.network.allowedDomains", "sprite.image.baseImage",
            "sprite.image.installClaude", "sprite.image.packages", "sprite.image.claudeInstaller",
            "sprite.agent.command", "sprite.agent.env", "sprite.git.shallow",
        ] {
            #expect(man.contains(key), "man page lacks \(key)")
        }
    }

    /// docs/compatibility.md lists exactly the calls the client makes: each `call`,
    /// `streamNDJSON` and `openSocket` of Sources/SpritesAPI, read out of the code, with its
    /// path pieces joined (`Self.path(x)` is `/v1/sprites/{sprite}`, a path segment
    /// `encodePathSegment(x)` is `{x}`, a service's `{name}`).
    @Test func theCompatibilityTableListsEveryCallTheClientMakes() throws {
        var inCode = Set<String>()
        let dir = SourceTree.root + "/Sources/SpritesAPI"
        let call = try NSRegularExpression(
            pattern:
                #"(call|streamNDJSON|openSocket)\(\s*("([A-Z]+)",\s*)?((Self\.path\(\w+\)|"[^"]*")(\s*\+\s*("[^"]*"|Self\.encodePathSegment\(\w+\)))*)"#
        )
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            for m in call.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let piece = { (i: Int) in Range(m.range(at: i), in: text).map { String(text[$0]) } }
                guard let kind = piece(1), let path = piece(4) else { continue }
                let method = kind == "openSocket" ? "WSS" : (piece(3) ?? "")
                guard !method.isEmpty else { continue }
                var joined = ""
                var previous = ""
                for part in path.replacingOccurrences(of: #"\s*\+\s*"#, with: "+", options: .regularExpression)
                    .components(separatedBy: "+")
                {
                    if part.hasPrefix("Self.path(") {
                        joined += "/v1/sprites/{sprite}"
                    } else if part.hasPrefix("Self.encodePathSegment(") {
                        let name = part.dropFirst("Self.encodePathSegment(".count).dropLast()
                        joined += previous.hasSuffix("/services/") ? "{name}" : "{\(name)}"
                    } else {
                        joined += part.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    }
                    previous = joined
                }
                inCode.insert("\(method) \(joined)")
            }
        }
        #expect(inCode.count >= 20, "\(inCode.sorted())")
        let doc = try SourceTree.read("docs/compatibility.md")
        let row = try NSRegularExpression(pattern: #"(?m)^\| `((?:GET|POST|PUT|DELETE|WSS) /v1/[^`]*)` \|"#)
        let inDoc = Set(
            row.matches(in: doc, range: NSRange(doc.startIndex..., in: doc)).compactMap {
                Range($0.range(at: 1), in: doc).map { String(doc[$0]) }
            })
        #expect(
            inCode.subtracting(inDoc).isEmpty,
            "calls the client makes that docs/compatibility.md does not list: \(inCode.subtracting(inDoc).sorted())")
        #expect(
            inDoc.subtracting(inCode).isEmpty,
            "calls docs/compatibility.md lists that the client does not make: \(inDoc.subtracting(inCode).sorted())")
    }

    @Test func everyCompletionKnowsEveryCommandAndFlag() throws {
        let commands = try CLIDocs.commands()
        for file in ["completions/git-sprite.bash", "completions/_git-sprite", "completions/git-sprite.fish"] {
            let text = try SourceTree.read(file)
            for (command, flags) in commands {
                #expect(text.contains(command), "\(file) lacks \(command)")
                for flag in flags {
                    let spelled = file.hasSuffix(".fish") ? "-l \(flag)" : "--\(flag)"
                    #expect(text.contains(spelled), "\(file) lacks \(spelled) (\(command))")
                }
            }
        }
    }
}
