import TestSupport
import Testing

@testable import GitSpriteCore

@Suite("TOML settings file", .offThePool)
struct TOMLDocumentTests {
    @Test func parsesTheSeedSchemaWithLines() throws {
        let doc = try TOMLDocument(
            parsing: """
                # git-sprite settings
                token = "org/123/tok"

                [resources]
                cpu = 4          # CPUs
                memory = 8

                [lifecycle]
                auto_destroy = true
                auto_checkpoint = false

                [network]
                default_policy = 'allow-list'
                allowed_domains = [
                  "github.com",   # code
                  "*.npmjs.org",
                ]

                [image]
                base_image = "ubuntu:22.04"
                install_claude = true
                packages = ["ripgrep", "jq"]
                """)
        #expect(doc.values["token"]?.value == .string("org/123/tok"))
        #expect(doc.values["resources.cpu"]?.value == .integer(4))
        #expect(doc.values["resources.cpu"]?.line == 5)
        #expect(doc.values["lifecycle.auto_destroy"]?.value == .bool(true))
        #expect(doc.values["network.default_policy"]?.value == .string("allow-list"))
        #expect(
            doc.values["network.allowed_domains"]?.value == .array([.string("github.com"), .string("*.npmjs.org")]))
        #expect(doc.values["image.packages"]?.line == 22)
    }

    @Test func inlineTablesDottedKeysEscapesAndNumbers() throws {
        let doc = try TOMLDocument(
            parsing: """
                resources = { cpu = 2, memory = 1_6 }
                image.base_image = "a\\tb\\u00e9"
                n = 0x1F
                f = 1.5
                ml = \"\"\"
                line one
                line two\"\"\"
                """)
        #expect(doc.values["resources.cpu"]?.value == .integer(2))
        #expect(doc.values["resources.memory"]?.value == .integer(16))
        #expect(doc.values["image.base_image"]?.value == .string("a\tbé"))
        #expect(doc.values["n"]?.value == .integer(31))
        #expect(doc.values["f"]?.value == .float(1.5))
        #expect(doc.values["ml"]?.value == .string("line one\nline two"))
    }

    @Test(arguments: [
        ("cpu = ", 1), ("[resources\ncpu = 1", 1), ("a = 1\na = 2", 2), ("x = \"unterminated", 1),
        ("x = bare", 1), ("[t]\n[t]", 2), ("x = [1, 2", 1), ("x = 1 2", 1), ("x = 007", 1),
        ("x = 2026-01-01", 1), ("\n\nx = \"bad \\q escape\"", 3),
    ])
    func malformedInputReportsTheLine(text: String, line: Int) {
        #expect(throws: TOMLError.self) { try TOMLDocument(parsing: text) }
        do {
            _ = try TOMLDocument(parsing: text)
        } catch let e as TOMLError {
            #expect(e.line == line, "\(e.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
