import Foundation
import SpriteHTTP
import SpritesAPI

/// Builds the API client from the settings and turns API failures into advice.
public struct Connection: Sendable {
    /// The API as the use cases see it (`SpritesClient`, or a test's in-memory one).
    public let client: any SpritesService
    /// The real client, for what only it can do (exec streams: attach, the remote helper).
    public let streaming: SpritesClient?
    public let apiURL: String
    /// Handed to `git-remote-sprite` through its environment, never its arguments.
    let token: String
    /// The git URL of a repository in a sprite: `sprite::<sprite><path>` (pushed and fetched
    /// through `git-remote-sprite`), or what a test's in-memory API serves instead.
    public let gitURL: @Sendable (_ sprite: String, _ path: String) -> String

    /// A connection to any implementation of the API (tests).
    public init(
        service: any SpritesService, apiURL: String, token: String,
        gitURL: @escaping @Sendable (String, String) -> String
    ) {
        client = service
        streaming = service as? SpritesClient
        self.apiURL = apiURL
        self.token = token
        self.gitURL = gitURL
    }

    /// Opens each WebSocket connection of the live API while the one before it is in use, until
    /// `stopSpares()` (`SpareConnections`): for a command that runs one step in the sprite
    /// after another. Nothing for a test's in-memory API.
    func keepSpares() {
        guard streaming != nil else { return }
        SpareConnections.keep(for: apiURL)
    }

    func stopSpares() {
        guard streaming != nil else { return }
        SpareConnections.stop()
    }

    /// The real client, or an error for a connection that has none.
    func liveClient() throws -> SpritesClient {
        guard let streaming else { throw SpriteError("this command needs a live connection to the Sprites API") }
        return streaming
    }

    /// Connects as the settings say (through `context.connect`, which tests replace).
    public static func make(settings: Settings, context: Context) throws -> Connection {
        try context.connect(settings, context)
    }

    /// Resolves the token and API URL; a missing token is exit 4 with the ways to provide one.
    public init(settings: Settings, context: Context) throws {
        guard settings.apiURL != "local" else {
            let endpoint = try LocalHostManager.ensure(context)
            self.init(url: endpoint.url, token: endpoint.token, context: context)
            return
        }
        guard let token = settings.token, !token.isEmpty else {
            throw SpriteError(
                "No Sprites authentication token found",
                hints: [
                    "export SPRITES_TOKEN=<token>   (create one with: sprite org auth)",
                    "or put token = \"…\" in \(SettingsLoader(environment: context.environment, repository: nil).tomlPath) (mode 0600)",
                    "or try everything locally without an account: git sprite up --local",
                ], status: .authentication)
        }
        self.init(url: settings.apiURL, token: token, context: context)
    }

    /// A connection to an explicit endpoint (the local host).
    public init(url: String, token: String, context: Context) {
        apiURL = url
        self.token = token
        let terminal = context.terminal
        var trace: TraceSink?
        if context.verbose {
            trace = { @Sendable line in terminal.note("trace: " + line) }
        }
        let live = SpritesClient(
            baseURL: apiURL, token: token, userAgent: "git-sprite/\(gitSpriteVersion)", trace: trace)
        live.sleep = context.clock.sleep
        if let stall = context.environment["GIT_SPRITE_TRANSFER_STALL"].flatMap(Double.init), stall > 0 {
            live.transferStall = stall
        }
        client = live
        streaming = live
        gitURL = { sprite, path in "sprite::\(sprite)\(path)" }
    }

    /// The one mapping of API failures to what the user sees.
    public func translate(_ error: Error) -> Error {
        guard let api = error as? APIError else { return error }
        switch api {
        case .http(let f) where f.status == 403 && f.path.contains("/fs/"):
            // the filesystem API's answer for a file the sprite's user may not read or write
            // (EACCES): the token was taken already, or the sprite would not have been found
            return SpriteError(
                "the Sprites API failed: \(f.message) (HTTP \(f.status))",
                hints: [
                    "the sprite's user may not do that there: see the path's owner and mode with git sprite exec -- ls -l"
                ],
                detail: f.description)
        case .http(let f) where f.status == 401 || f.status == 403:
            return SpriteError(
                "the Sprites API at \(apiURL) rejected the token (HTTP \(f.status))",
                hints: [
                    "check SPRITES_TOKEN (or the token in your config file): git sprite config",
                    "create a new token with: sprite org auth",
                ], status: .authentication, detail: f.description)
        case .http(let f) where f.status == 414 || f.status == 431:
            // (the request's address or head was longer than the service takes: an exec's command
            // travels in it; sent again, it is as long)
            return SpriteError(
                "the Sprites API refused a request as too long: \(f.message) (HTTP \(f.status))",
                hints: ["for git sprite exec: pass long arguments on the command's stdin instead"],
                status: .usage, detail: f.description)
        case .http(let f) where f.status == 429:
            return SpriteError(
                "the Sprites API is rate limiting requests: \(f.message)",
                hints: ["wait \(Int(f.retryAfter ?? 30)) s and run the command again"],
                detail: f.description)
        case .http(let f):
            // (a 4xx refused what was asked, and the same request is refused again, an
            // adversarial review: only a failure of the service's is worth another try)
            let refused = (400..<500).contains(f.status) && f.status != 408
            return SpriteError(
                "the Sprites API failed: \(f.message) (HTTP \(f.status))",
                hints: [
                    (refused ? "the service refused the request as it was asked" : "run the command again")
                        + "; add -v to see each request"
                ], detail: f.description)
        case .transport(let f) where f.kind == .certificate:
            return SpriteError(
                "the Sprites API at \(apiURL) presented a certificate that is not trusted: \(f.message)",
                hints: [
                    "if your network uses its own certificate authority, point SSL_CERT_FILE "
                        + "at a bundle that holds it"
                ], detail: f.message)
        case .transport(let f) where f.kind == .broken && f.unanswered:
            return SpriteError(
                "the Sprites API at \(apiURL) took the connection but did not answer: \(f.message)",
                hints: [
                    "is the service up? (the local one: git sprite host status); add -v to see each request"
                ], detail: f.message)
        case .transport(let f) where f.kind == .broken:
            return SpriteError(
                "the connection to the Sprites API at \(apiURL) broke: \(f.message)",
                hints: [
                    "run the command again (it picks up where this one stopped); add -v to see each request"
                ], detail: f.message)
        case .transport(let f):
            return SpriteError(
                "cannot reach the Sprites API at \(apiURL)",
                hints: [
                    "check your network, or SPRITES_API_URL / sprite.api (git sprite config)"
                ], detail: f.message)
        case .malformed(let what):
            return SpriteError(
                "unexpected answer from the Sprites API: \(what)",
                hints: [
                    "is SPRITES_API_URL (or sprite.api) the Sprites API? run the command again; "
                        + "add -v to see each request"
                ])
        case .failed(let reason):
            return SpriteError(
                "the Sprites API could not do it: \(ServerText.oneLine(reason))",
                hints: ["the reason is the service's; add -v to see each request"])
        case .streamLost:
            return SpriteError(api.description, hints: ["run the command again; add -v to see each request"])
        }
    }

    /// Runs `body`, translating API failures.
    public func perform<T>(_ body: (any SpritesService) throws -> T) throws -> T {
        do {
            return try body(client)
        } catch {
            throw translate(error)
        }
    }
}

/// The version every binary reports.
public let gitSpriteVersion = Product.version
