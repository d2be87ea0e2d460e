import ArgumentParser
import GitSpriteCore

struct Cp: GlobalCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy files between this machine and a sprite.",
        discussion: """
            :PATH is in the current branch's sprite and SPRITE:PATH in a named one; a relative \
            sprite path is relative to /home/sprite/workspace. Anything else is a path here \
            (./name:with:colons too). Files keep their bytes and mode, and are streamed both \
            ways. A directory needs -r. Copying to an existing directory puts each source \
            inside it under its own name; several sources need a directory. Symbolic links are \
            skipped, with a note.

            Examples:
              git sprite cp ./fixtures/big.json :test/fixtures/
              git sprite cp -r :build/reports ./reports
              git sprite cp app-feature-x:/home/sprite/notes.txt .
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Copy directories and what they hold.")
    var recursive = false

    @Argument(help: ArgumentHelp("SRC… DST", discussion: "Sources, then the destination."))
    var paths: [String] = []

    @Flag(help: "Print one JSON document: the files and bytes copied, and what was skipped.")
    var json = false

    func validate() throws {
        if paths.count < 2 {
            throw ValidationError("give at least one source and a destination: git sprite cp SRC… DST")
        }
    }

    func run(_ context: Context) throws {
        let summary = try CopyWorkflow.run(
            context, sources: Array(paths.dropLast()), destination: paths[paths.count - 1],
            recursive: recursive)
        if json {
            context.terminal.out(try JSONOutput.encode(summary))
        } else {
            for skipped in summary.skipped {
                context.terminal.warn("skipped \(skipped): not a regular file or directory")
            }
            for failed in summary.failed {
                context.terminal.warn("not copied: \(Terminal.printable(failed.path)): \(failed.reason)")
            }
            if !context.quiet {
                context.terminal.note(
                    "copied \(summary.files) file\(summary.files == 1 ? "" : "s") (\(ByteCountText.text(summary.bytes)))"
                )
            }
        }
        if !summary.failed.isEmpty {
            throw SpriteError(
                "\(summary.failed.count) path\(summary.failed.count == 1 ? "" : "s") could not be copied",
                hints: ["the rest was copied; rename or copy those on their own (the lines above say why)"],
                status: .failure)
        }
    }
}
