import Foundation
import TestSupport
import Testing

/// Help, man page and completions are checked against the command definitions, so a flag
/// cannot change without its documentation changing.
@Suite("help, man page and completions", .ownThread)
struct DocsTests {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Subcommands and their long flags, from swift-argument-parser's own description.
    static func commands() throws -> [String: [String]] {
        let s = try Sandbox()
        let r = try s.run(Sandbox.binDirectory + "/git-sprite", ["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let command = try #require(root["command"] as? [String: Any])
        var out: [String: [String]] = [:]
        for sub in (command["subcommands"] as? [[String: Any]]) ?? [] {
            guard let name = sub["commandName"] as? String, name != "help" else { continue }
            var flags: [String] = []
            for arg in (sub["arguments"] as? [[String: Any]]) ?? [] {
                for n in (arg["names"] as? [[String: Any]]) ?? [] where n["kind"] as? String == "long" {
                    if let flag = n["name"] as? String, flag != "version", flag != "help" { flags.append(flag) }
                }
            }
            out[name] = flags
        }
        return out
    }

    private func read(_ relative: String) throws -> String {
        try String(contentsOfFile: Self.repoRoot + "/" + relative, encoding: .utf8)
    }

    @Test func theManPageDocumentsEveryCommandFlagAndSetting() throws {
        let man = try read("man/man1/git-sprite.1")
        let commands = try Self.commands()
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
        let dir = Self.repoRoot + "/Sources/SpritesAPI"
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
        let doc = try read("docs/compatibility.md")
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

    @Test func theHostManPageDocumentsEveryFlag() throws {
        let man = try read("man/man1/sprite-host.1")
        let s = try Sandbox()
        let r = try s.run(Sandbox.binDirectory + "/sprite-host", ["serve", "--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let args = ((root["command"] as? [String: Any])?["arguments"] as? [[String: Any]]) ?? []
        let flags = args.flatMap { ($0["names"] as? [[String: Any]]) ?? [] }
            .filter { $0["kind"] as? String == "long" }.compactMap { $0["name"] as? String }
            .filter { $0 != "help" && $0 != "version" }
        #expect(flags.count >= 6)
        for flag in flags {
            #expect(man.contains("\\-\\-" + flag.replacingOccurrences(of: "-", with: "\\-")), "lacks --\(flag)")
        }
    }

    @Test func everyCompletionKnowsEveryCommandAndFlag() throws {
        let commands = try Self.commands()
        for file in ["completions/git-sprite.bash", "completions/_git-sprite", "completions/git-sprite.fish"] {
            let text = try read(file)
            for (command, flags) in commands {
                #expect(text.contains(command), "\(file) lacks \(command)")
                for flag in flags {
                    let spelled = file.hasSuffix(".fish") ? "-l \(flag)" : "--\(flag)"
                    #expect(text.contains(spelled), "\(file) lacks \(spelled) (\(command))")
                }
            }
        }
    }

    @Test func bashCompletionWorksThroughGitsOwnCompletion() throws {
        let gitCompletion = "/usr/share/bash-completion/completions/git"
        guard FileManager.default.fileExists(atPath: gitCompletion) else { return }
        let s = try Sandbox()
        let script = """
            source \(gitCompletion)
            source \(Self.repoRoot)/completions/git-sprite.bash
            COMP_WORDS=(git sprite pl); COMP_CWORD=2; COMP_LINE="git sprite pl"; COMP_POINT=${#COMP_LINE}
            __git_wrap__git_main; printf '%s\\n' "${COMPREPLY[@]}"
            COMP_WORDS=(git sprite link --); COMP_CWORD=3; COMP_LINE="git sprite link --"; COMP_POINT=${#COMP_LINE}
            __git_wrap__git_main; printf '%s\\n' "${COMPREPLY[@]}"
            """
        let r = try s.run("bash", ["-c", script])
        #expect(r.stdout.contains("plan "))
        #expect(r.stdout.contains("--as="))
    }

    @Test func dashHReachesTheBinaryAndDashDashHelpOpensTheManPage() throws {
        let s = try Sandbox()
        let repo = try s.makeRepo("app")
        let h = try s.sprite(["-h"], in: repo)
        #expect(h.status == 0)
        #expect(h.stdout.contains("USAGE: git sprite <subcommand>"))
        #expect(h.stdout.contains("plan"))
        let sub = try s.sprite(["plan", "-h"], in: repo)
        #expect(sub.stdout.contains("--json"))
        let version = try s.sprite(["--version"], in: repo)
        #expect(
            version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).range(
                of: "^[0-9]+\\.[0-9]+\\.[0-9]+$", options: .regularExpression) != nil)
        let man = try s.sprite(
            ["--help"], in: repo,
            env: [
                "MANPATH": Self.repoRoot + "/man", "MANPAGER": "cat", "PAGER": "cat",
                "MANWIDTH": "100",
            ])
        #expect(man.status == 0, "\(man.stderr)")
        #expect(man.stdout.contains("give every git branch its own cloud sandbox"))
    }
}
