import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// `/api/mission-control/activity`: the caller's recent events as JSON pages, and `/stream`, the live
/// activity stream (server-sent events) that resumes from `Last-Event-ID`.
struct ActivityController {
    /// The stream's path: the one place an API key is accepted in the query string (`?apiKey=`).
    static let streamPath = "/api/mission-control/activity/stream"
    /// Where a single-use ticket for the stream is made (``StreamTickets``).
    static let ticketsPath = "/api/mission-control/activity/tickets"
    static let cursorKind = "activity"

    let store: BureauStore
    let operations: Operations
    let hub: ActivityHub
    let tickets: StreamTickets

    var endpoints: RouteCollection<BureauRequestContext> {
        let routes = RouteCollection(context: BureauRequestContext.self)
        routes.get(use: list)
        routes.get("stream", use: stream)
        routes.post("tickets", use: ticket)
        return routes
    }

    /// `POST .../tickets` with any credential: 201 `{"ticket", "expiresAt"}`, a single-use ticket valid for
    /// 60 seconds that opens the stream (`?ticket=`) for this credential; 429 `too_many_tickets` while the
    /// user holds as many unused ones as allowed.
    @Sendable func ticket(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        // The credential is checked now too: a ticket is never made for a revoked key or an ended session.
        _ = try operations.me(by: .user(identity))
        switch tickets.issue(for: identity, at: store.now()) {
        case .issued(let ticket, let expiresAt):
            var headers = HTTPFields()
            headers[.cacheControl] = "no-store"
            return JSONResponse.make(StreamTicketRepresentation(ticket: ticket, expiresAt: expiresAt), status: .created, headers: headers)
        case .full:
            var headers = HTTPFields()
            headers[.retryAfter] = String(StreamTickets.lifetimeMilliseconds / 1000)
            throw APIError(
                .tooManyRequests,
                code: "too_many_tickets",
                detail: "Too many unused stream tickets; use one or wait for them to expire.",
                headers: headers
            )
        }
    }

    /// Newest first; `?limit=` (1–100, default 50) and `?cursor=` from the previous page's `nextCursor`.
    @Sendable func list(_ request: Request, context: BureauRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let query = Query(uri: request.uri)
        let limit = try query.limit()
        var before: ActivityEventID?
        if let cursor = query.string("cursor") {
            guard let id = ActivityEventID(try Cursor.decodeText(cursor, kind: Self.cursorKind)) else {
                throw APIError.invalidField("cursor", "is not a cursor returned by this list")
            }
            before = id
        }
        let page = try operations.activity(by: .user(identity), before: before, limit: limit + 1)
        let items = page.prefix(limit).map { ActivityEventRepresentation($0, includesID: true) }
        let next = page.count > limit ? page[limit - 1].id : nil
        return JSONResponse.make(
            ListRepresentation(data: Array(items), nextCursor: next.map { Cursor.encodeText($0.description, kind: Self.cursorKind) })
        )
    }

    /// Opens a stream: subscribes, reads the backlog, and returns the response whose body
    /// (``ActivityStreamBody``) the connection's task writes for as long as the stream is open. It is
    /// synchronous: its locals stay on the thread's stack instead of in async frames (see
    /// ``StreamRequestResponder`` for why a stream's task allocations matter).
    @Sendable func stream(_ request: Request, context: BureauRequestContext) throws -> Response {
        let identity = try context.requireIdentity()
        let lastSeen = try Self.lastEventID(request)
        let subscription: ActivitySubscription
        switch hub.openSubscription(userID: identity.userID, method: identity.credential) {
        case .success(let opened): subscription = opened
        case .failure(.shuttingDown):
            throw APIError(.serviceUnavailable, code: "shutting_down", detail: "The server is shutting down; reconnect shortly.")
        case .failure(.tooManyStreams(let limit)): throw APIError.tooManyStreams(limit: limit)
        }
        // Subscribed first, then the backlog read: an event committed in between is in both, and the
        // writer skips ids it has already sent, so nothing is lost and nothing is sent twice. The backlog
        // stops at the last durable commit (read after subscribing): later events arrive live once durable,
        // so a stream never shows a change that a crash could still undo.
        let durableThrough = hub.durableThrough
        let replay: ActivityReplay
        do {
            replay = try operations.activityReplay(by: .user(identity), after: lastSeen, durableThrough: durableThrough)
        } catch {
            // Revoked, logged out or expired between authentication and subscription: the close may have missed it.
            subscription.close(.credentialRevoked)
            throw error
        }
        let streamBody = ActivityStreamBody(subscription: subscription, replay: replay, lastSeen: lastSeen, resetTime: store.now())
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[.accelBuffering] = "no"
        // The connection this request came on (absent when served without one, as in-process tests do).
        let departure = ClientDeparture.current
        let lease = SubscriptionLease(subscription)
        // The body holds the lease until the response goes: if it goes unwritten, the lease closes the stream.
        let body = ResponseBody { writer in
            // However the body ends, the subscription goes (its termination removes it from the hub).
            defer { lease.subscription.close(.shuttingDown) }
            // A client that leaves frees its slot at once, not at the next write that fails.
            departure?.whenGone { subscription.close(.clientGone) }
            defer { departure?.forget() }
            try await withGracefulShutdownHandler {
                try await streamBody.write(to: &writer, now: { [store] in store.now() })
            } onGracefulShutdown: {
                subscription.close(.shuttingDown)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The id a reconnecting client last saw: `Last-Event-ID`, else `?lastEventId=`; empty means none.
    static func lastEventID(_ request: Request) throws -> ActivityEventID? {
        let raw = request.headers[.lastEventID] ?? Query(uri: request.uri).string("lastEventId")
        guard let raw, !raw.isEmpty else { return nil }
        guard let id = ActivityEventID(raw) else {
            throw APIError.invalidField("Last-Event-ID", "must be an event id received from this stream")
        }
        return id
    }
}

extension HTTPField.Name {
    /// `X-Accel-Buffering: no` keeps proxies such as nginx from holding the stream back.
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
    /// `Last-Event-ID`: the id an `EventSource` last received, sent when it reconnects.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// A stream ticket as the API shows it, the one time it is shown.
struct StreamTicketRepresentation: JSONRepresentable {
    let ticket: String
    let expiresAt: Timestamp

    func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.field("ticket", ticket)
            json.field("expiresAt", expiresAt)
        }
    }
}
