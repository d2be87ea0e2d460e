// Built only with the tests: a plain `swift build` (make build, make demo) has no Testing module.
#if canImport(Testing)
    import Foundation
    import Testing

    /// The checkout the tests run from, for the documents they hold the code to.
    public enum SourceTree {
        public static let root: String = {
            var url = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { url.deleteLastPathComponent() }
            return url.path
        }()

        public static func read(_ relative: String) throws -> String {
            try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
        }
    }

    /// swift-argument-parser's own description of the commands (`--experimental-dump-help`).
    public enum HelpDump {
        /// Subcommands and their long flags (`help` and `version` left out).
        public static func commands(fromDump text: String) throws -> [String: [String]] {
            let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
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
    }
#endif
