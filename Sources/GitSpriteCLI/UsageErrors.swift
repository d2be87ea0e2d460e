import ArgumentParser
import Foundation
import GitSpriteCore

/// Usage errors in git's style: `error:` and `hint:` lines (as every other error of ours), a
/// near name for a mistyped command, and exit status 64. Help and `--version` print as the
/// parser renders them.
enum UsageErrors {
    /// Writes the parser's error the way the rest of git-sprite writes errors; returns the
    /// exit status.
    static func report(_ error: Error, arguments: [String], to terminal: Terminal) -> Int32 {
        guard GitSprite.exitCode(for: error) != .success else { return parserEnding(error, to: terminal) }
        let text =
            unknownCommand(in: arguments).map(render)
            ?? render(echoing(arguments, in: GitSprite.fullMessage(for: error)))
        terminal.err(Data(text.utf8))
        return ExitStatus.usage.rawValue
    }

    /// The parser's message with each argument it echoes that holds a line break made
    /// printable first: `render` reads the message line by line, and an argument such as
    /// `x\nhint: …` would otherwise become a line of its own that looks like ours.
    static func echoing(_ arguments: [String], in message: String) -> String {
        var message = message
        for arg in arguments where arg.contains(where: \.isNewline) {
            message = message.replacingOccurrences(of: arg, with: Terminal.printable(arg))
        }
        return message
    }

    /// A usage error a command finds once it runs (`ValidationError`), named with its command;
    /// its message carries what was typed, shown printable.
    static func report(_ error: ValidationError, in command: ParsableCommand.Type, to terminal: Terminal) -> Int32 {
        let path = self.path(to: command) ?? "git sprite"
        let message = Terminal.printable(lowercasedFirst(error.message))
        terminal.err(Data("error: \(message)\nhint: see '\(path) --help'\n".utf8))
        return ExitStatus.usage.rawValue
    }

    /// What swift-argument-parser's `exit(withError:)` would print and exit with (help on
    /// stdout and 0; its other endings on stderr), written to `terminal` instead.
    static func parserEnding(_ error: Error, to terminal: Terminal) -> Int32 {
        let code = GitSprite.exitCode(for: error)
        let text = GitSprite.fullMessage(for: error)
        if !text.isEmpty {
            if code == .success {
                terminal.out(text + "\n")
            } else {
                terminal.err(Data((text + "\n").utf8))
            }
        }
        return code.rawValue
    }

    /// `git sprite host status` for `HostStatus`.
    static func path(to target: ParsableCommand.Type, from root: ParsableCommand.Type = GitSprite.self) -> String? {
        if root == target { return root._commandName }
        for sub in root.configuration.subcommands {
            if let rest = path(to: target, from: sub) { return root._commandName + " " + rest }
        }
        return nil
    }

    /// `git sprite stauts` or `git sprite host stat`: the word that is not a command, where a
    /// command was expected, with the commands that were possible there.
    struct UnknownCommand {
        var word: String
        var parent: String
        var choices: [String]
    }

    static func unknownCommand(in arguments: [String]) -> UnknownCommand? {
        var command: ParsableCommand.Type = GitSprite.self
        var path = ["git sprite"]
        for arg in arguments {
            if arg == "--" { return nil }
            if arg.hasPrefix("-") { continue }
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            if let next = subcommands.first(where: { names(of: $0).contains(arg) }) {
                command = next
                path.append(next._commandName)
                continue
            }
            if arg == "help" { return nil }
            return UnknownCommand(
                word: arg, parent: path.joined(separator: " "),
                choices: subcommands.map { $0._commandName })
        }
        return nil
    }

    static func names(of command: ParsableCommand.Type) -> [String] {
        [command._commandName] + command.configuration.aliases
    }

    static func render(_ unknown: UnknownCommand) -> String {
        var lines = ["error: '\(printable(unknown.word))' is not a \(unknown.parent) command"]
        let near = nearest(unknown.word, among: unknown.choices)
        if !near.isEmpty {
            lines.append(
                "hint: did you mean " + near.map { "'\(unknown.parent) \($0)'" }.joined(separator: " or ") + "?")
        }
        lines.append("hint: see '\(unknown.parent) --help' for the commands")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The parser's rendering (`Error: …`, `Help: …`, `Usage: …`, `  See '…' for more
    /// information.`) as every error reads: one `error: …` line, then `hint:` lines
    /// (`hint: usage: …`; the option's own help, `hint: --name <name>: …`).
    static func render(_ message: String) -> String {
        var out: [String] = []
        // the parser echoes what was typed: shown printable, as the unknown-command path does
        for line in message.split(separator: "\n", omittingEmptySubsequences: false).map({
            printable(String($0), limit: 400)
        }) {
            if line.hasPrefix("Error: ") {
                out.append("error: " + lowercasedFirst(String(line.dropFirst("Error: ".count))))
            } else if line.hasPrefix("Usage: ") {
                out.append("hint: usage: " + line.dropFirst("Usage: ".count))
            } else if line.hasPrefix("Help: ") {
                // "Help:  --name <name>  Sprite name …": the option, then what it is
                let words = line.dropFirst("Help: ".count).trimmingCharacters(in: .whitespaces)
                let parts = words.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                out.append("hint: " + parts.joined(separator: ": "))
            } else if line.trimmingCharacters(in: .whitespaces).hasPrefix("See '") {
                var see = line.trimmingCharacters(in: .whitespaces)
                if see.hasSuffix(".") { see.removeLast() }
                out.append("hint: " + lowercasedFirst(see))
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                // (anything else the parser says is more of the hint before it)
                out.append(out.isEmpty ? "error: " + line : "hint: " + line.trimmingCharacters(in: .whitespaces))
            }
        }
        while out.last?.isEmpty == true { out.removeLast() }
        if !out.contains(where: { $0.hasPrefix("hint: ") }) { out.append("hint: see 'git sprite --help'") }
        return out.joined(separator: "\n") + "\n"
    }

    static func lowercasedFirst(_ s: String) -> String {
        guard let first = s.first, first.isUppercase, !(s.dropFirst().first?.isUppercase ?? false) else { return s }
        return first.lowercased() + s.dropFirst()
    }

    /// At most `limit` scalars of `s`, control characters shown as `?` (`Terminal.printable`),
    /// so a typo cannot paint the terminal.
    static func printable(_ s: String, limit: Int = 80) -> String {
        Terminal.printable(String(String.UnicodeScalarView(s.unicodeScalars.prefix(limit))))
    }

    /// Names within two edits (or that the word starts), closest first, as git's help does.
    static func nearest(_ word: String, among names: [String]) -> [String] {
        let scored = names.map { ($0, distance(word.lowercased(), $0)) }
        let best = scored.filter {
            $0.1 <= max(1, min(2, word.count / 3)) || ($0.0.hasPrefix(word.lowercased()) && word.count >= 2)
        }
        let minimum = best.map(\.1).min()
        return best.filter { $0.1 == minimum || $0.0.hasPrefix(word.lowercased()) }.map(\.0)
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions, and
    /// transpositions of neighbours (`stauts` is one away from `status`).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
