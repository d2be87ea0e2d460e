import ArgumentParser
import GitSpriteCore

struct Fetch: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Bring the sprite's commits home into its own refs, touching nothing else.",
        discussion: """
            Fetches every branch, new tag, stash entry and detached HEAD of the sprite's \
            workspace, linked repos and submodules into refs that belong to that sprite alone: \
            branches into refs/remotes/sprite/<sprite>/* (git branch -r lists them), the rest \
            under refs/sprite/<sprite>/, and prints what moved. Your work tree and your branches \
            are never touched: take the work with git merge or git cherry-pick, and the \
            sprite's uncommitted changes with git sprite apply.

            Examples:
              git sprite fetch
              git sprite fetch feature/x
              git merge sprite/app-feature-x-1a2b3c4d/feature/x
              git sprite fetch --all
            """
    )

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: SpriteArgument

    @Flag(help: "Fetch from every sprite of this repository.")
    var all = false

    @Flag(help: "Print one JSON document: each sprite's refs that moved, and what stays in it.")
    var json = false

    func run(_ context: Context) throws {
        let result = try FetchWorkflow.run(context, sprite: target.sprite, all: all)
        if !json { for line in result.lines { context.terminal.note(line) } }
        try report(result, json: json, context)
        if result.failed {
            throw SpriteError(
                "some of the sprite's work could not be fetched (see above)",
                hints: ["run it again; add -v to see each request"])
        }
    }
}
