import Foundation
import SpritesAPI

/// `git sprite url`: the sprite's URL as the API gives it (the cloud's
/// `https://<sprite>-<org>.sprites.app`, a local host's `http://<sprite>.localhost:<port>/`),
/// who may open it (`--public`, `--private`), and opening it in a browser (`--open`; for a
/// private sprite on a local host, through a one-time login link, never the token).
public enum URLWorkflow {
    public enum Access: String, Sendable { case `public`, `private` }

    /// What `url` reports; `--json` prints it as it is.
    public struct Result: Sendable, Codable {
        public let url: String
        /// Who may open it: `public`, or `sprite` (the token or a login link).
        public let auth: String
    }

    public static func run(_ context: Context, sprite argument: String?, access: Access?, open: Bool) throws -> Result {
        let target = try SpriteTarget(context, sprite: argument)
        return try target.connection.perform { _ in
            let client = try target.connection.liveClient()
            var sprite = try target.existing(client, context: context)
            if let access {
                sprite = try client.setURLAuth(target.name, auth: access == .public ? "public" : "sprite")
                context.terminal.note(
                    access == .public
                        ? "\(target.name)'s URL is public now: anyone with it can open it"
                        : "\(target.name)'s URL is private now: it asks for your login")
            }
            guard let url = sprite.url.map(ServerText.oneLine), url.hasPrefix("https://") || url.hasPrefix("http://")
            else {
                throw SpriteError(
                    "\(target.name) has no URL on this host",
                    hints: ["a local sprite-host serves them unless started with --url-listen off"])
            }
            let auth = sprite.urlSettings?.auth ?? "sprite"
            if open {
                // a private sprite on a local host: a link that logs this browser in, once
                let link = auth == "public" ? url : (try? client.urlLoginLink(target.name)).flatMap { $0 } ?? url
                try Browser.open(link, context: context)
            }
            return Result(url: url, auth: auth)
        }
    }
}

/// Opens a URL in the user's browser: `$BROWSER`, else `xdg-open` (or macOS's `open`); the
/// URL is one argument, never passed through a shell.
enum Browser {
    static func open(_ url: String, context: Context) throws {
        let env = context.environment
        let candidates = ([env["BROWSER"]].compactMap { $0 }.filter { !$0.isEmpty }) + ["xdg-open", "open"]
        for program in candidates {
            let full = program.hasPrefix("/") ? program : ExecutableSearch.find(program, path: env["PATH"])
            guard let full, FileManager.default.isExecutableFile(atPath: full) else { continue }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: full)
            p.arguments = [url]
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.runToExit()
            if p.terminationStatus == 0 { return }
        }
        throw SpriteError(
            "cannot open a browser here",
            hints: [
                "open the URL yourself (git sprite url prints it)",
                "or name your browser: export BROWSER=firefox",
            ])
    }
}
