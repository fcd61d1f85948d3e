import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird

/// `/api/auth/api-keys`: create (the plaintext is returned this once), list (masked), revoke, roll.
struct APIKeysController {
    let operations: Operations
    let verifier: APIKeyVerifier
    let settings: ServerSettings

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.post(use: create)
        routes.get(use: list)
        routes.get("{id}", use: show)
        routes.delete("{id}", use: revoke)
        routes.post("{id}/roll", use: roll)
        routes.post("report", use: report)
        return routes
    }

    @Sendable func create(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let input = NewAPIKey(name: body.string("name"), expiresAt: body.string("expiresAt"), scope: body.string("scope"))
        try body.throwIfInvalid(adding: input.problems)
        let created = try await operations.createAPIKey(input, by: requester)
        // Its first use then costs no bcrypt: the plaintext is in hand this once.
        if let key = APIKeyFormat.parse(created.plaintext) { verifier.rememberVerified(key, id: created.record.id) }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return JSONResponse.make(
            CreatedAPIKeyRepresentation(key: created.record, plaintext: created.plaintext),
            status: .created,
            headers: headers
        )
    }

    /// `POST /api/auth/api-keys/{id}/roll {"graceSeconds"}`: the successor, its plaintext shown this once.
    @Sendable func roll(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let requester = try context.requester()
        let id = try context.parameters.require("id")
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let input = APIKeyRollRequest(graceSeconds: body.integer("graceSeconds"))
        try body.throwIfInvalid(adding: input.problems)
        let created = try await operations.rollAPIKey(id, input, by: requester)
        if let key = APIKeyFormat.parse(created.plaintext) { verifier.rememberVerified(key, id: created.record.id) }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return JSONResponse.make(
            CreatedAPIKeyRepresentation(key: created.record, plaintext: created.plaintext),
            status: .created,
            headers: headers
        )
    }

    /// `POST /api/auth/api-keys/report {"keys": [...]}`, without credentials: 202 `{"status": "received"}`
    /// whatever the strings are (a malformed body is 400, before anything is looked at). The candidates
    /// are judged after the answer, so neither its content nor its timing says whether any matched: a
    /// string of the wrong shape or checksum is dropped without a lookup, an unknown lookup id without
    /// bcrypt, and every usable key among them is revoked (``Operations/revokeLeakedKey(_:)``), its owner
    /// told by an `api_key.leaked` event.
    @Sendable func report(_ request: Request, context: BureauRequestContext) async throws -> Response {
        var body = try await JSONRequestBody.read(request, limit: settings.maxBodyBytes)
        let input = LeakReport(keys: body.strings("keys"))
        try body.throwIfInvalid(adding: input.problems)
        guard case .success(let candidates) = input.checked() else { throw APIError.invalidField("keys", "is invalid") }
        let (operations, verifier) = (operations, verifier)
        Task {
            for candidate in candidates {
                guard let id = await verifier.usableKey(matching: candidate) else { continue }
                _ = try? await operations.revokeLeakedKey(id)
            }
        }
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return JSONResponse.make(LeakReportReceipt(), status: .accepted, headers: headers)
    }

    /// The report's route, which needs no credentials.
    static let reportPath = "/api/auth/api-keys/report"

    @Sendable func list(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let keys = try operations.activeAPIKeysWithUsage(by: try context.requester())
        let now = operations.store.now()
        return JSONResponse.make(ListRepresentation(data: keys.map { representation(of: $0.key, stored: $0.usage, at: now) }))
    }

    /// `GET /api/auth/api-keys/{id}`: one of the requester's usable keys with its usage (404 for an unknown,
    /// revoked or expired key, 403 for another user's, as for revocation).
    @Sendable func show(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let (key, usage) = try operations.apiKeyWithUsage(try context.parameters.require("id"), by: try context.requester())
        return JSONResponse.make(representation(of: key, stored: usage, at: operations.store.now()))
    }

    /// A key as listed: its latest use and usage include the uses not yet written.
    private func representation(of key: APIKeyRecord, stored: KeyUsageHistory?, at now: Timestamp) -> APIKeyRepresentation {
        let lastUsed = verifier.usage.lastUsed(key)
        return APIKeyRepresentation(
            key,
            lastUsedAt: lastUsed,
            usage: verifier.usage.history(of: key.id, stored: stored),
            at: now,
            unused: operations.policy.isUnused(key, lastUsed: lastUsed, at: now)
        )
    }

    @Sendable func revoke(_ request: Request, context: BureauRequestContext) async throws -> Response {
        try await operations.revokeAPIKey(try context.parameters.require("id"), by: try context.requester())
        return JSONResponse.noContent()
    }
}

/// The one answer to every leak report.
struct LeakReportReceipt: JSONRepresentable {
    func write(to writer: inout JSONWriter) {
        writer.object { json in json.field("status", "received") }
    }
}
