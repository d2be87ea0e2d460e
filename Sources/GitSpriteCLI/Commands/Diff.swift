import ArgumentParser
import GitSpriteCore

struct Diff: GlobalCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the agent changed since up shipped the code: commits and uncommitted changes.",
        discussion: """
            Fetches the sprite's work (see git sprite fetch), then runs git diff between what \
            git sprite up last shipped (refs/sprite/<sprite>/shipped) and the sprite's work \
            tree as it is now, uncommitted changes included (refs/sprite/<sprite>/worktree), \
            in your pager and colours. With linked repos, one section per repository.

            Examples:
              git sprite diff
              git sprite diff --stat
              git sprite diff feature/x -- src/
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(help: "Show a diffstat instead of the patch.")
    var stat = false

    @Argument(parsing: .postTerminator, help: "Limit the diff to these paths, after --.")
    var paths: [String] = []

    func run(_ context: Context) throws {
        try ReviewWorkflow.run(context, sprite: target.sprite, kind: .diff(stat: stat, paths: paths))
    }
}

struct Log: GlobalCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the commits the agent made since up shipped the code.",
        discussion: """
            Fetches the sprite's work, then runs git log on the sprite's HEAD \
            (refs/sprite/<sprite>/head) without what git sprite up last shipped. With linked \
            repos, one section per repository.

            Examples:
              git sprite log
              git sprite log --oneline feature/x
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(name: .shortAndLong, help: "Show each commit's patch.")
    var patch = false

    @Flag(help: "Show each commit's diffstat.")
    var stat = false

    @Flag(help: "One line per commit.")
    var oneline = false

    func run(_ context: Context) throws {
        try ReviewWorkflow.run(context, sprite: target.sprite, kind: .log(patch: patch, stat: stat, oneline: oneline))
    }
}

struct Apply: GlobalCommand {
    static let configuration = CommandConfiguration(
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

    func run(_ context: Context) throws {
        let notes = try ApplyWorkflow.run(context, sprite: target.sprite)
        if !context.quiet { notes.forEach(context.terminal.note) }
    }
}
