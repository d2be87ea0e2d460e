import Foundation
import Hummingbird
import NIOCore
import SpriteWire

/// `sprite-host serve --sparse-replies`: the host answers in the sparest shapes the Sprites
/// API documents, so a client is tested against the contract rather than against what this
/// host happens to add (docs/compatibility.md):
///
/// - list entries of `GET /v1/sprites` carry only `name`, `org_slug` and `updated_at` (the
///   docs' example; the Go SDK drops `labels` from list results);
/// - `GET …/checkpoints` lists oldest first (the API documents no order);
/// - a service's `env` and `dir` (documented by one SDK only) and a new sprite's `config`
///   ("not configurable yet") are ignored;
/// - a duplicate sprite name is a 400 (the manual API page) and every 400 has the validation
///   shape `{"errors": ["…"]}`;
/// - as the service's own server answers: `GET …/checkpoints` starts with an entry for the
///   live state (`Current`, the newest), a service without arguments or needs has
///   `"args": null, "needs": null`, and what those routes refuse comes as plain text.
enum SparseReplies {
    /// The entry for the sprite's live state the service lists among its checkpoints.
    static func liveState() -> Checkpoint {
        Checkpoint(id: "Current", createTime: Timestamp.format(Date()), comment: "")
    }

    /// `services` as the service's own server writes them: empty `args` and `needs` as null.
    static func services(_ services: [Service]) throws -> Response {
        var entries = try JSONSerialization.jsonObject(with: try Wire.encode(services)) as? [[String: Any]] ?? []
        for i in entries.indices {
            for key in ["args", "needs"] where (entries[i][key] as? [Any])?.isEmpty ?? true {
                entries[i][key] = NSNull()
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: entries))))
    }

    /// A list entry as the docs' example shows it.
    struct ListEntry: Codable {
        let name: String
        let orgSlug: String?
        let updatedAt: String?

        enum CodingKeys: String, CodingKey {
            case name
            case orgSlug = "org_slug"
            case updatedAt = "updated_at"
        }
    }

    /// A page of `GET /v1/sprites` with sparse entries and the counts.
    struct ListPage: Codable {
        let sprites: [ListEntry]
        let hasMore: Bool
        let nextContinuationToken: String?
        let org: OrganizationCounts

        enum CodingKeys: String, CodingKey {
            case sprites, org
            case hasMore = "has_more"
            case nextContinuationToken = "next_continuation_token"
        }
    }

    static func page(_ list: SpriteList) -> ListPage {
        ListPage(
            sprites: list.sprites.map {
                ListEntry(
                    name: $0.name, orgSlug: $0.orgSlug ?? $0.organization,
                    updatedAt: $0.updatedAt)
            },
            hasMore: list.hasMore ?? false, nextContinuationToken: list.nextContinuationToken,
            org: list.org
                ?? OrganizationCounts(
                    name: nil, running: 0, warm: 0, cold: 0, runningLimit: nil,
                    warmLimit: nil))
    }
}

/// Turns every 400 (and a duplicate create's 409) into the validation shape when the host
/// answers sparsely; filesystem errors keep their own documented shape. The routes the
/// sprite's own server answers (checkpoints, services) fail as it fails them: the reason as
/// plain text (Go's `http.Error`).
struct SparseErrorsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HostError
            where error.errno == nil && error.status != .badRequest
            && ["/checkpoint", "/services"].contains(where: { request.uri.path.contains($0) })
        {
            var headers = error.extraHeaders
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(
                status: error.status, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: error.message + "\n")))
        } catch let error as HostError
            where error.errno == nil
            && (error.status == .badRequest || (error.status == .conflict && error.code == "sprite_exists"))
        {
            let data = (try? Wire.encode(ErrorBody(errors: [error.message]))) ?? Data()
            var headers = error.extraHeaders
            headers[.contentType] = "application/json"
            return Response(status: .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
