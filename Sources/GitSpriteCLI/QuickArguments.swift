/// `plan` and `exec` in their plain forms, read without swift-argument-parser.
///
/// Start-up is what these two are measured by (`plan` against `git status`: bench/plan.sh;
/// `exec` against `git-sprite --version`: bench/exec.sh), and the parser's first parse in a
/// process costs about 3 ms, as much as the rest of `git-sprite`'s start: it resolves each
/// option's generic metadata by mangled name and scans every protocol conformance record of
/// the executable, some 6,000 with Foundation in it. Only what needs no judgement is read
/// here: the command's word first, then its flags and options by their exact spellings, each
/// at most once, `--name NAME` or `--name=NAME` with a value that cannot be read as a flag, at
/// most one plain word for a positional, and for `exec` everything after the first `--`.
/// Anything else (help, a flag given twice, an unknown or combined flag such as `-it`, an empty
/// value or one that looks like a flag, a missing command) is left to the parser, so the two
/// never disagree (`QuickParseTests` reads every form both ways).
struct QuickArguments: Equatable {
    /// The flags given, by their long names (`verbose`, not `-v`).
    var flags: Set<String> = []
    var options: [String: String] = [:]
    var positional: String?
    /// What follows `--`, for a command that takes it.
    var rest: [String] = []

    /// How one command is spelled.
    struct Grammar {
        let command: String
        /// Every spelling of each flag, to its long name.
        let flags: [String: String]
        /// The long names of the options that take a value.
        let options: Set<String>
        let positional: Bool
        /// Everything after `--` belongs to the command, which must be there.
        let terminator: Bool

        static let globalFlags = ["-v": "verbose", "--verbose": "verbose", "-q": "quiet", "--quiet": "quiet"]

        static let plan = Grammar(
            command: "plan", flags: globalFlags.merging(["--json": "json"]) { $1 }, options: ["name"],
            positional: false, terminator: false)

        static let exec = Grammar(
            command: "exec",
            flags: globalFlags.merging([
                "-t": "tty", "--tty": "tty", "-i": "interactive", "--interactive": "interactive",
            ]) {
                $1
            },
            options: ["dir"], positional: true, terminator: true)
    }

    init(flags: Set<String> = [], options: [String: String] = [:], positional: String? = nil, rest: [String] = []) {
        (self.flags, self.options, self.positional, self.rest) = (flags, options, positional, rest)
    }

    init?(_ arguments: [String], _ grammar: Grammar) {
        guard arguments.first == grammar.command else { return nil }
        var words = arguments.dropFirst()
        while let word = words.popFirst() {
            if let flag = grammar.flags[word] {
                guard flags.insert(flag).inserted else { return nil }
            } else if word == "--" {
                guard grammar.terminator, !words.isEmpty else { return nil }
                rest = Array(words)
                return
            } else if word.hasPrefix("--") {
                let (name, inline) = Self.split(word.dropFirst(2))
                guard grammar.options.contains(name), options[name] == nil,
                    let value = inline ?? words.popFirst(), Self.plainValue(value)
                else { return nil }
                options[name] = value
            } else {
                guard grammar.positional, positional == nil, Self.plainValue(word), word != "help" else { return nil }
                positional = word
            }
        }
        if grammar.terminator { return nil }
    }

    /// `name=value` into its two parts; `name` alone has no inline value.
    static func split(_ text: Substring) -> (String, String?) {
        guard let equals = text.firstIndex(of: "=") else { return (String(text), nil) }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// A value nobody could read as a flag (the parser's own rules decide the others).
    static func plainValue(_ value: String) -> Bool {
        !value.isEmpty && !value.hasPrefix("-")
    }
}
