import Foundation
import TestSupport
import Testing

/// Every error message has an entry in docs/troubleshooting.md: the messages are read from
/// the sources (the text given to `SpriteError`, and what the in-sprite scripts print to
/// stderr), with each interpolation as `…`.
@Suite("troubleshooting guide", .offThePool)
struct TroubleshootingTests {
    /// The Swift string literal starting at `i` (a `"`), interpolations as `…`, and the index
    /// after it.
    static func literal(_ t: [Character], _ start: Int) -> (String, Int) {
        var i = start + 1, out = ""
        while i < t.count {
            let c = t[i]
            if c == "\\", i + 1 < t.count, t[i + 1] == "(" {
                var depth = 1
                i += 2
                while i < t.count, depth > 0 {
                    if t[i] == "\"" {
                        i = literal(t, i).1
                        continue
                    }
                    if t[i] == "(" { depth += 1 } else if t[i] == ")" { depth -= 1 }
                    i += 1
                }
                out += "…"
                continue
            }
            if c == "\\", i + 1 < t.count {
                out.append(t[i + 1])
                i += 2
                continue
            }
            if c == "\"" { return (out, i + 1) }
            out.append(c)
            i += 1
        }
        return (out, i)
    }

    /// The literal at `i`, joined with any `+ "…"` that follows.
    static func joined(_ t: [Character], _ start: Int) -> (String, Int) {
        var (text, i) = literal(t, start)
        while true {
            var j = i
            while j < t.count, t[j].isWhitespace { j += 1 }
            guard j < t.count, t[j] == "+" else { return (text, i) }
            j += 1
            while j < t.count, t[j].isWhitespace { j += 1 }
            guard j < t.count, t[j] == "\"" else { return (text, i) }
            let (more, end) = literal(t, j)
            text += more
            i = end
        }
    }

    static func messages() throws -> Set<String> {
        var found: Set<String> = []
        let root = SourceTree.root + "/Sources"
        let files =
            FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
            ?? []
        for file in files {
            let t = Array(try String(contentsOfFile: root + "/" + file, encoding: .utf8))
            let marker = Array("SpriteError(")
            var i = 0
            while i + marker.count < t.count {
                guard Array(t[i..<(i + marker.count)]) == marker else {
                    i += 1
                    continue
                }
                var j = i + marker.count
                // the formatter may put the arguments on the next line
                while j < t.count, t[j].isWhitespace { j += 1 }
                // the message: a literal, or a condition then `? "…" : "…"`, before any comma
                while j < t.count, !"\",\n)".contains(t[j]) { j += 1 }
                if j < t.count, t[j] == "\"" {
                    let (text, end) = joined(t, j)
                    found.insert(text)
                    var k = end
                    while k < t.count, t[k].isWhitespace { k += 1 }
                    if k < t.count, t[k] == ":" {
                        k += 1
                        while k < t.count, t[k].isWhitespace { k += 1 }
                        if k < t.count, t[k] == "\"" { found.insert(joined(t, k).0) }
                    }
                }
                i += marker.count
            }
            if file.hasPrefix("GitSpriteCore/InSprite/") {
                let text = String(t)
                let echo = try NSRegularExpression(pattern: #"echo "([^"]*)" >&2"#)
                for m in echo.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    let said = String(text[Range(m.range(at: 1), in: text)!])
                    found.insert(
                        said.replacingOccurrences(
                            of: #"\$\{[^}]*\}|\$[A-Za-z0-9_]+|\$\([^)]*\)"#, with: "…",
                            options: .regularExpression))
                }
            }
        }
        return found
    }

    @Test func everyErrorMessageHasATroubleshootingEntry() throws {
        let guide = try String(contentsOfFile: SourceTree.root + "/docs/troubleshooting.md", encoding: .utf8)
        let headings = Set(
            guide.split(separator: "\n").filter { $0.hasPrefix("### `") && $0.hasSuffix("`") }
                .map { String($0.dropFirst(5).dropLast()) })
        let messages = try Self.messages()
        #expect(messages.count >= 60, "the scan found only \(messages.count) messages")
        // APIError's own words reach the user through `api.description`
        let indirect: Set = ["the exec stream ended before the command finished (…)"]
        for message in messages.union(indirect).sorted() {
            #expect(headings.contains(message), "docs/troubleshooting.md has no entry: ### `\(message)`")
        }
    }
}
