/// `git sprite plan` in its plain forms, read without swift-argument-parser.
///
/// `plan` is the command start-up is measured by (its budget is a multiple of `git status`:
/// bench/plan.sh), and the parser's first parse in a process costs about 3 ms, a quarter of
/// `plan`: it resolves each option's generic metadata by mangled name and scans every protocol
/// conformance record of the executable, some 6,000 with Foundation in it. Only what needs no
/// judgement is read here: `--json`, `-v`/`--verbose`, `-q`/`--quiet`, `--name NAME` or
/// `--name=NAME`, each at most once, after the word `plan`. Anything else (help, a flag given
/// twice, an unknown or combined flag, a value that is empty or looks like a flag, `--`) is
/// left to the parser, so the two never disagree (`QuickPlanTests` reads every form both ways).
struct QuickPlan: Equatable {
    var json = false
    var verbose = false
    var quiet = false
    var name: String?

    init(json: Bool = false, verbose: Bool = false, quiet: Bool = false, name: String? = nil) {
        (self.json, self.verbose, self.quiet, self.name) = (json, verbose, quiet, name)
    }

    /// The plain form `arguments` (without the program's name) is, or nil for the parser.
    init?(_ arguments: [String]) {
        guard arguments.first == "plan" else { return nil }
        var rest = arguments.dropFirst()
        var seen: Set<String> = []
        while let argument = rest.popFirst() {
            let key: String
            switch argument {
            case "--json": (key, json) = ("json", true)
            case "-v", "--verbose": (key, verbose) = ("verbose", true)
            case "-q", "--quiet": (key, quiet) = ("quiet", true)
            case "--name":
                guard let value = rest.popFirst(), Self.plainValue(value) else { return nil }
                (key, name) = ("name", value)
            default:
                guard argument.hasPrefix("--name=") else { return nil }
                let value = String(argument.dropFirst("--name=".count))
                guard Self.plainValue(value) else { return nil }
                (key, name) = ("name", value)
            }
            guard seen.insert(key).inserted else { return nil }
        }
    }

    /// A value nobody could read as a flag (the parser's own rules decide the others).
    static func plainValue(_ value: String) -> Bool {
        !value.isEmpty && !value.hasPrefix("-")
    }
}
