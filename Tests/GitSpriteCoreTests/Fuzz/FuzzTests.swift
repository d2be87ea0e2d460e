import Foundation
import SpriteWire
import TestSupport
import Testing

@testable import GitSpriteCore
@testable import SpriteHTTP
@testable import SpritesAPI

/// Bounded fuzzing of everything that reads bytes someone else chose (docs/reliability.md):
/// the WebSocket frame decoder, the exec stream demultiplexer, the TOML loader, the API reply
/// decoders and sprite-name folding. Each target runs its seed corpus, then mutants; each
/// prints how many inputs it ran.
@Suite("fuzzing", .offThePool)
struct FuzzTests {
    // MARK: WebSocket frames

    /// What a receiver makes of `input` delivered in pieces cut at `cuts`: the outputs, then how
    /// it ended. Any cutting must give the same story.
    static func receive(_ input: [UInt8], cuts: [Int], limit: Int) -> [String] {
        var story: [String] = []
        var buffer: [UInt8] = []
        var assembler = WebSocketAssembler(limit: limit)
        var start = 0
        for end in cuts + [input.count] where end >= start {
            buffer += input[start..<end]
            start = end
            do {
                while let (frame, used) = try WebSocketFrame.decode(buffer, limit: limit) {
                    guard used >= 2, used <= buffer.count else {
                        return story + ["consumed \(used) of \(buffer.count)"]
                    }
                    buffer.removeFirst(used)
                    if let out = try assembler.add(frame) { story.append("\(out)") }
                }
            } catch {
                return story + ["error \(error)"]
            }
        }
        return story + ["pending \(buffer.count)"]
    }

    @Test func webSocketFramesDecodeTheSameHoweverTheyArrive() {
        var f = Fuzzer(
            target: "websocket", dictionary: ["\u{81}\u{7e}", "\u{82}\u{7f}", "\u{80}\u{00}", "\u{89}\u{00}"])
        let limit = 1 << 16
        var failures = 0
        let runs = f.run { input, n in
            var g = SplitMix64(seed: UInt64(n))
            let cuts =
                input.isEmpty
                ? [] : (0..<Int(g.next() % 6)).map { _ in Int(g.next() % UInt64(input.count + 1)) }.sorted()
            let whole = Self.receive(input, cuts: [], limit: limit)
            let pieces = Self.receive(input, cuts: cuts, limit: limit)
            if whole != pieces, failures < 3 {
                failures += 1
                Issue.record("input #\(n) \(input.prefix(64)) cut at \(cuts): \(whole) vs \(pieces)")
            }
        }
        // every frame the client can send comes back as it was
        var g = SplitMix64(seed: Fuzzer.baseSeed)
        for i in 0..<max(100, Fuzzer.iterations / 10) {
            let control = g.next() % 4 == 0
            let sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000]
            let size = control ? Int(g.next() % 126) : (i % 7 == 0 ? sizes[Int(g.next() % 8)] : Int(g.next() % 300))
            let frame = WebSocketFrame(
                fin: control || g.next() % 2 == 0,
                opcode: control ? [0x8, 0x9, 0xA][Int(g.next() % 3)] : [0x0, 0x1, 0x2][Int(g.next() % 3)],
                payload: (0..<size).map { _ in UInt8(truncatingIfNeeded: g.next()) })
            let mask = g.next() % 2 == 0 ? nil : (0..<4).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            let bytes = frame.encoded(mask: mask)
            let decoded = try? WebSocketFrame.decode(bytes, limit: 1 << 20)
            #expect(decoded?.0 == frame && decoded?.1 == bytes.count, "frame \(i)")
            // on the wire, byte i of the payload is XORed with byte i mod 4 of the key (RFC 6455
            // §5.3), whichever way the masking is done
            if let mask {
                let start = bytes.count - size
                #expect(Array(bytes[(start - 4)..<start]) == mask, "frame \(i)")
                #expect(
                    bytes[start...].enumerated().allSatisfy {
                        $0.element == frame.payload[$0.offset] ^ mask[$0.offset % 4]
                    },
                    "frame \(i) of \(size) bytes")
            }
            // a prefix byte framed with the payload is the same as a payload that starts with it
            if !control, size > 0 {
                let joined = frame.payload.withUnsafeBytes {
                    WebSocketFrame.encode(
                        fin: frame.fin, opcode: frame.opcode, prefix: frame.payload[0],
                        payload: UnsafeRawBufferPointer(rebasing: $0[1...]), mask: mask)
                }
                #expect(joined == bytes, "frame \(i)")
            }
        }
        print("fuzz websocket: \(runs) executions")
    }

    // MARK: WebSocket handshake reply

    /// The header fields of a reply's head read byte by byte, as RFC 9112 puts them: lines end
    /// in CR LF, a name ends at the first colon, the value loses the spaces and tabs around it;
    /// a line without a colon is skipped, a later field of the same name wins.
    static func referenceHeaders(_ raw: [UInt8]) -> [String: String] {
        var end = 0
        while end + 3 < raw.count && raw[end..<end + 4] != [13, 10, 13, 10] { end += 1 }
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var i = 0
        while i + 1 < end + 2 {
            if raw[i] == 13 && raw[i + 1] == 10 {
                lines.append(raw[start..<i])
                start = i + 2
                i += 2
            } else {
                i += 1
            }
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: 58) else { continue }
            var value = line[(colon + 1)...]
            while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
            while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
            headers[String(decoding: line[..<colon], as: UTF8.self).lowercased()] = String(
                decoding: value, as: UTF8.self)
        }
        return headers
    }

    /// Whatever bytes answer an upgrade (an HTTP/2 edge's frames, a proxy's page, garbage), the
    /// reader either waits for more, refuses them with an error, or returns a reply whose parts
    /// are the input's own bytes; and it says the same whether the bytes arrive at once or
    /// one by one.
    @Test func upgradeRepliesParseOrFailCleanlyHoweverTheyArrive() {
        var f = Fuzzer(
            target: "handshake",
            dictionary: [
                "HTTP/1.1 ", "\r\n", "\r\n\r\n", "101", "Content-Length: ",
                "Sec-WebSocket-Accept: ", "PRI * HTTP/2.0",
            ])
        var outcomes: [String: Int] = [:]
        let runs = f.run { input, n in
            let whole: String
            do {
                if let reply = try UpgradeReply.parse(input) {
                    whole = "reply \(reply.status)"
                    #expect(reply.rest.count < input.count, "input #\(n)")
                    #expect(
                        input.suffix(reply.rest.count).elementsEqual(reply.rest), "input #\(n): rest is not the tail")
                    #expect((reply.expectedBodyLength ?? 0) <= UpgradeReply.maxBody)
                    #expect(reply.headers == Self.referenceHeaders(input), "input #\(n): headers")
                } else {
                    whole = "more"
                }
            } catch {
                whole = "error"
                #expect("\(error)".count < 200, "input #\(n): an error message that long")
            }
            outcomes[whole.hasPrefix("reply") ? "reply" : whole, default: 0] += 1
            // fed byte by byte: waits until the same answer (an error may come earlier)
            var story = "more"
            for end in 0...input.count {
                do {
                    if let reply = try UpgradeReply.parse(Array(input[..<end])) {
                        story = "reply \(reply.status)"
                        break
                    }
                } catch {
                    story = "error"
                    break
                }
            }
            if story != whole { Issue.record("input #\(n) \(input.prefix(64)): \(whole) at once, \(story) in pieces") }
        }
        #expect(outcomes["reply", default: 0] > 0 && outcomes["error", default: 0] > 0)
        print("fuzz handshake: \(runs) executions \(outcomes.sorted { $0.key < $1.key })")
    }

    @Test func anHTTP2AnswerToTheUpgradeIsAClearErrorNamingTheProtocol() throws {
        for seed in [Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8), [0, 0, 0x12, 4, 0, 0, 0, 0, 0]] {
            #expect(throws: WebSocketError.self) { try UpgradeReply.parse(seed) }
            do { _ = try UpgradeReply.parse(seed) } catch {
                #expect("\(error)".contains("did not answer the upgrade in HTTP/1.1"))
            }
        }
        #expect(try UpgradeReply.parse(Array("HTT".utf8)) == nil)
        let reply = try #require(try UpgradeReply.parse(Array("HTTP/1.1 101 OK\r\nA: b\r\n\r\nxy".utf8)))
        #expect(reply.status == 101 && reply.headers == ["a": "b"] && reply.rest == Array("xy".utf8))
        #expect(UpgradeReply.accept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    // MARK: exec stream

    @Test func execMessagesDemultiplexWithoutLosingAByte() {
        var f = Fuzzer(
            target: "exec",
            dictionary: [
                "{\"type\":\"exit\",\"exit_code\":", "\"session_info\"", "\u{3}", "1e308", "\"session_id\":",
                "\"port_opened\",\"port\":", "\"tty\":true", "\\ud83d\\ude00", "\\u0000", "null", "-0.5e-3", "1e-400",
                ",",
            ])
        let runs = f.run { input, n in
            guard let mode = input.first else { return }
            let body = Array(input.dropFirst())
            switch mode {
            case UInt8(ascii: "T"):
                let text = String(decoding: body, as: UTF8.self)
                let event = ExecEvent.decode(.text(text), tty: false)
                if case .stdout? = event { Issue.record("input #\(n): a text message became output") }
                // the quick reading says what Codable says, whenever it says anything
                #expect(event == ExecEvent.throughCodable(text), "input #\(n): \(text)")
            case UInt8(ascii: "Y"):
                #expect(ExecEvent.decode(.binary(body), tty: true) == .stdout(Data(body)), "input #\(n)")
            default:
                let event = ExecEvent.decode(.binary(body), tty: false)
                switch body.first {
                case 1?: #expect(event == .stdout(Data(body.dropFirst())), "input #\(n)")
                case 2?: #expect(event == .stderr(Data(body.dropFirst())), "input #\(n)")
                case 3?: #expect(event == .exit(Int32(body.dropFirst().first ?? 0)), "input #\(n)")
                default: #expect(event == nil, "input #\(n)")
                }
            }
        }
        print("fuzz exec: \(runs) executions")
    }

    // MARK: TOML

    @Test func theTOMLLoaderParsesOrPointsAtALine() {
        var f = Fuzzer(
            target: "toml",
            dictionary: [
                "[", "]", "[[", "=", "\"", "'''", "\"\"\"", "\\u", "\\U0010ffff", "{", "}",
                ",", ".", "#", "\n", "0x", "1e308", "-", "inf", "nan", "1979-05-27",
            ])
        var failures = 0
        let runs = f.run { input, n in
            let text = String(decoding: input, as: UTF8.self)
            do {
                let doc = try TOMLDocument(parsing: text)
                for key in doc.order where doc.values[key] == nil && failures < 3 {
                    failures += 1
                    Issue.record("input #\(n): key \(key) in the order but not the values")
                }
            } catch let e as TOMLError {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
                if !(1...max(1, lines + 1)).contains(e.line) || e.column < 1 || e.message.isEmpty, failures < 3 {
                    failures += 1
                    Issue.record("input #\(n): error at \(e.line):\(e.column) of \(lines) lines: \(e.message)")
                }
            } catch {
                Issue.record("input #\(n): not a TOMLError: \(error)")
            }
        }
        print("fuzz toml: \(runs) executions")
    }

    // MARK: API replies

    @Test func replyDecodersAcceptOrRefuseAndFailuresReadAsOneLine() {
        var f = Fuzzer(
            target: "replies",
            dictionary: [
                "null", "true", "[]", "{}", "\"status\":", "\"labels\":", "1e308", "-1",
                "\"\\ud800\"", "18446744073709551616",
            ])
        var failures = 0
        let runs = f.run { input, n in
            let data = Data(input)
            _ = try? Wire.decode(Sprite.self, from: data)
            _ = try? Wire.decode(SpriteList.self, from: data)
            _ = try? Wire.decode([Checkpoint].self, from: data)
            _ = try? Wire.decode(Service.self, from: data)
            _ = try? Wire.decode(ExecSessionList.self, from: data)
            _ = try? Wire.decode(ExecSessionInfo.self, from: data)
            do {
                _ = try Wire.decode(SpriteList.self, from: data)
            } catch {
                let problem = SpritesClient.problem(error, body: data)
                if problem.contains("\n") || problem.count > 200, failures < 3 {
                    failures += 1
                    Issue.record("input #\(n): \(problem)")
                }
            }
            for status in [400, 429, 502, 503] {
                let failure = HTTPFailure(
                    response: HTTPResponse(
                        status: status, headers: ["retry-after": String(decoding: input.prefix(12), as: UTF8.self)],
                        body: data),
                    method: "GET", path: "/v1/sprites")
                let oneLine = !failure.message.contains(where: \.isNewline)
                let sane = failure.retryAfter.map { $0.isFinite && $0 >= 0 && $0 <= 86400 } ?? true
                if (!oneLine || !sane) && failures < 3 {
                    failures += 1
                    Issue.record(
                        "input #\(n): message \(failure.message.debugDescription), retry \(String(describing: failure.retryAfter))"
                    )
                }
            }
        }
        print("fuzz replies: \(runs) executions")
    }

    // MARK: sprite names

    @Test func everyBranchFoldsToAValidNameAndDifferentBranchesToDifferentNames() {
        var f = Fuzzer(target: "names")
        var seen: [String: String] = [:]
        var inputs = Fuzzer.corpus("names").flatMap {
            String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        for _ in 0..<Fuzzer.iterations { inputs.append(f.text(maxLength: 80)) }
        var failures = 0
        for branch in inputs {
            let name = SpriteName.forBranch(branch, repository: "repo")
            if SpriteName.problem(with: name) != nil || name.count > SpriteName.maxLength, failures < 3 {
                failures += 1
                Issue.record("\(branch.debugDescription) → \(name)")
            }
            if let other = seen[name], other != branch, failures < 3 {
                failures += 1
                Issue.record("\(branch.debugDescription) and \(other.debugDescription) share \(name)")
            }
            seen[name] = branch
            // a branch spelled like another's name never takes that name
            let lookalike = String(name.dropFirst("repo-".count))
            if lookalike != branch, SpriteName.forBranch(lookalike, repository: "repo") == name, failures < 3 {
                failures += 1
                Issue.record("\(lookalike.debugDescription) takes the name of \(branch.debugDescription): \(name)")
            }
        }
        // nor the name of a detached HEAD
        var g = SplitMix64(seed: Fuzzer.baseSeed)
        for _ in 0..<1000 {
            let sha = (0..<40).map { _ in "0123456789abcdef".randomElement(using: &g)! }.map(String.init).joined()
            let detached = SpriteName.forDetachedHead(sha, repository: "repo")
            #expect(SpriteName.forBranch(String(sha.prefix(7)), repository: "repo") != detached, "\(sha)")
        }
        print("fuzz names: \(inputs.count) executions")
    }
}

/// Inputs the fuzzer found, kept as they failed.
@Suite("fuzzing: what it found", .offThePool)
struct FuzzRegressionTests {
    /// Found by `replyDecoders…` (seed 1, input 3709): the error body's message went to the
    /// terminal as the server wrote it, newline included (escape sequences would have too).
    @Test func aServersMessageReachesTheTerminalAsOnePrintableLine() {
        let body = Data(#"{"error":"rate_limited","message":"slow dow\n\u001b[2Jforged: ok\u0007"}"#.utf8)
        let failure = HTTPFailure(
            response: HTTPResponse(status: 429, headers: [:], body: body), method: "GET", path: "/v1/sprites")
        #expect(failure.message == "slow dow [2Jforged: ok")
        #expect(ServerText.oneLine(String(repeating: "x", count: 1000)).count == 300)
    }
}
