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
    /// How long a browser may run before it counts as opened: a browser run directly (not
    /// through `xdg-open`) keeps running, and `url --open` waited for it to quit.
    static let startGrace: TimeInterval = 3

    static func open(_ url: String, context: Context) throws {
        let env = context.environment
        for command in commands(url, browser: env["BROWSER"]) {
            let program = command[0]
            let full = program.hasPrefix("/") ? program : ExecutableSearch.find(program, path: env["PATH"])
            // (a program: a directory is "executable" too, and failed the whole command)
            var st = stat()
            guard let full, stat(full, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(full, X_OK) == 0 else {
                continue
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: full)
            p.arguments = Array(command.dropFirst())
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            let exited = p.exitSignal()
            guard (try? p.runWithSignalsUnblocked()) != nil else { continue }
            if exited.wait(timeout: .now() + startGrace) == .timedOut || p.terminationStatus == 0 { return }
        }
        let named = env["BROWSER"].map { $0.isEmpty ? "" : " (BROWSER is \(Terminal.printable($0)))" } ?? ""
        throw SpriteError(
            "cannot open a browser here",
            hints: [
                "open the URL yourself (git sprite url prints it)",
                "or name your browser: export BROWSER=firefox" + named,
            ])
    }

    /// What to run, in turn: each program `$BROWSER` names (a list split by `:`, as
    /// xdg-utils and Python read it; each may carry arguments, and `%s` for the URL, else the
    /// URL comes last), then `xdg-open` and `open`.
    static func commands(_ url: String, browser: String?) -> [[String]] {
        let named = (browser ?? "").split(separator: ":").compactMap { entry -> [String]? in
            let words = entry.split(separator: " ").map(String.init)
            guard !words.isEmpty else { return nil }
            let placed = words.map { $0.replacingOccurrences(of: "%s", with: url) }
            return words.contains { $0.contains("%s") } ? placed : words + [url]
        }
        return named + [["xdg-open", url], ["open", url]]
    }
}
