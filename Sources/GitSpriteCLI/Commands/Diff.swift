import ArgumentParser
import GitSpriteCore

struct Diff: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what the agent changed since up shipped the code: commits and uncommitted changes.",
        discussion: """
            Fetches the sprite's work (see git sprite fetch), then runs git diff between what \
            git sprite up last shipped (refs/sprite/<sprite>/shipped) and the sprite's work \
            tree as it is now, uncommitted changes included (refs/sprite/<sprite>/worktree), \
            in your pager and colours. With linked repos, one section per repository. After \
            the sprite (when named, it comes first), git diff's own options pass through: \
            --name-only, --word-diff, -U1, --stat, …

            Examples:
              git sprite diff
              git sprite diff --stat
              git sprite diff feature/x --word-diff -- src/
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Show a diffstat instead of the patch.")
    var stat = false

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp(
            "[BRANCH|SPRITE] (first), then git diff's options, then -- and paths.",
            valueName: "sprite-and-git-diff-args"))
    var arguments: [String] = []

    func run(_ context: Context) throws {
        let passed = try GitPassThrough(arguments, command: Self.self)
        try ReviewWorkflow.run(
            context, sprite: passed.sprite,
            kind: .diff(options: (stat ? ["--stat"] : []) + passed.options, paths: passed.paths))
    }
}

/// `[BRANCH|SPRITE] [git options…] [-- paths…]` as `diff` and `log` take them: a first word
/// that is not an option names the sprite; what follows, up to `--`, is git's.
struct GitPassThrough {
    var sprite: String?
    var options: [String] = []
    var paths: [String] = []

    /// `-h` before any `--` is this command's help, not an option for git.
    init(_ arguments: [String], command: ParsableCommand.Type) throws {
        if arguments.prefix(while: { $0 != "--" }).contains("-h") { throw CleanExit.helpRequest(command) }
        var rest = arguments[...]
        if let first = rest.first, !first.hasPrefix("-") {
            sprite = first
            rest = rest.dropFirst()
        }
        if let end = rest.firstIndex(of: "--") {
            options = Array(rest[..<end])
            paths = Array(rest[(end + 1)...])
        } else {
            options = Array(rest)
        }
    }
}

struct Log: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the commits the agent made since up shipped the code.",
        discussion: """
            Fetches the sprite's work, then runs git log on the sprite's HEAD \
            (refs/sprite/<sprite>/head) without what git sprite up last shipped. With linked \
            repos, one section per repository. After the sprite (when named, it comes first), \
            git log's own options pass through: -n 3, --format=…, --author=…, …

            Examples:
              git sprite log
              git sprite log feature/x --oneline -n 3
              git sprite log --format='%h %s' -- src/
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Show each commit's patch.")
    var patch = false

    @Flag(help: "Show each commit's diffstat.")
    var stat = false

    @Flag(help: "One line per commit.")
    var oneline = false

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp(
            "[BRANCH|SPRITE] (first), then git log's options, then -- and paths.",
            valueName: "sprite-and-git-log-args"))
    var arguments: [String] = []

    func run(_ context: Context) throws {
        let passed = try GitPassThrough(arguments, command: Self.self)
        let flags = (patch ? ["-p"] : []) + (stat ? ["--stat"] : []) + (oneline ? ["--oneline"] : [])
        try ReviewWorkflow.run(
            context, sprite: passed.sprite, kind: .log(options: flags + passed.options, paths: passed.paths))
    }
}

struct Apply: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Bring the sprite's uncommitted changes into your work tree.",
        discussion: """
            Fetches the sprite's work and applies its uncommitted changes (against its HEAD) to \
            your work tree, in each repository. Refuses, changing nothing, when a file they touch \
            has local changes, or when they do not apply to your files (merge the sprite's \
            commits first). Afterwards the sprite counts those changes as home: \
            git sprite down --destroy no longer refuses over them.

            Examples:
              git sprite fetch && git merge sprite/app-main/main && git sprite apply
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(help: "Print one JSON document: the files applied in each repository.")
    var json = false

    func run(_ context: Context) throws {
        try report(try ApplyWorkflow.run(context, sprite: target.sprite), json: json, context)
    }
}
