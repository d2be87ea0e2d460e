import Foundation
import SpritesAPI
import SpriteHTTP

/// Builds the API client from the settings and turns API failures into advice.
public struct Connection {
    public let client: SpritesClient
    public let apiURL: String
    /// Handed to `git-remote-sprite` through its environment, never its arguments.
    let token: String

    /// Resolves the token and API URL; a missing token is exit 4 with the ways to provide one.
    public init(settings: Settings, context: Context) throws {
        guard settings.apiURL != "local" else {
            let endpoint = try LocalHostManager.ensure(context)
            self.init(url: endpoint.url, token: endpoint.token, context: context)
            return
        }
        guard let token = settings.token, !token.isEmpty else {
            throw SpriteError("No Sprites authentication token found", hints: [
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
        client = SpritesClient(baseURL: apiURL, token: token, userAgent: "git-sprite/\(gitSpriteVersion)", trace: trace)
    }

    /// The one mapping of API failures to what the user sees.
    public func translate(_ error: Error) -> Error {
        guard let api = error as? APIError else { return error }
        switch api {
        case .http(let f) where f.status == 401 || f.status == 403:
            return SpriteError("the Sprites API at \(apiURL) rejected the token (HTTP \(f.status))", hints: [
                "check SPRITES_TOKEN (or the token in your config file): git sprite config",
                "create a new token with: sprite org auth",
            ], status: .authentication, detail: f.description)
        case .http(let f) where f.status == 429:
            return SpriteError("the Sprites API is rate limiting requests: \(f.message)",
                               hints: ["wait \(Int(f.retryAfter ?? 30)) s and run the command again"],
                               detail: f.description)
        case .http(let f):
            return SpriteError("the Sprites API failed: \(f.message) (HTTP \(f.status))",
                               hints: ["run the command again; add -v to see each request"], detail: f.description)
        case .transport(let f) where f.kind == .certificate:
            return SpriteError("the Sprites API at \(apiURL) presented a certificate that is not trusted: \(f.message)",
                               hints: ["if your network uses its own certificate authority, point SSL_CERT_FILE "
                                       + "at a bundle that holds it"], detail: f.message)
        case .transport(let f):
            return SpriteError("cannot reach the Sprites API at \(apiURL)", hints: [
                "check your network, or SPRITES_API_URL / sprite.api (git sprite config)",
            ], detail: f.message)
        case .streamLost, .malformed:
            return SpriteError(api.description, hints: ["run the command again; add -v to see each request"])
        }
    }

    /// Runs `body`, translating API failures.
    public func perform<T>(_ body: (SpritesClient) throws -> T) throws -> T {
        do {
            return try body(client)
        } catch {
            throw translate(error)
        }
    }
}

/// The version every binary reports.
public let gitSpriteVersion = Product.version
