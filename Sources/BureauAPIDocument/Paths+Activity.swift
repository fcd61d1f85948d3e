import OpenAPIKit

/// `/api/mission-control/activity`: the caller's events as JSON pages, and `/stream`, the live stream.
enum ActivityPaths {
    static var items: [(String, OpenAPI.PathItem)] {
        [
            (
                "/api/mission-control/activity",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "listActivity",
                        tag: "activity",
                        summary: "The caller's recent events, newest first",
                        parameters: [Endpoint.limit, Endpoint.cursor(kind: "activity")],
                        responses: [(200, Responses.json("A page of events.", Schemas.ref("ActivityList")))],
                        errors: Errors(badRequest: ["invalid_request"])
                    )
                )
            ),
            (
                "/api/mission-control/activity/tickets",
                OpenAPI.PathItem(
                    post: Endpoint.operation(
                        "createStreamTicket",
                        tag: "activity",
                        summary: "A single-use ticket, valid 60 s, that opens the stream for this credential (no key in a URL)",
                        responses: [
                            (
                                201,
                                Responses.json(
                                    "The ticket (`Cache-Control: no-store`).",
                                    Schemas.ref("StreamTicket"),
                                    headers: [("Cache-Control", OpenAPI.Header(schema: .string(allowedValues: "no-store"), required: true))]
                                )
                            )
                        ],
                        errors: {
                            var errors = Errors.change(badRequest: [], readsBody: false)
                            errors.tooManyRequests = ["too_many_tickets"]
                            return errors
                        }()
                    )
                )
            ),
            (
                "/api/mission-control/activity/stream",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "streamActivity",
                        tag: "activity",
                        summary: "The caller's events as they happen (server-sent events)",
                        description: """
                            Starts with `retry:`, then replays the events after `Last-Event-ID` (header, or `?lastEventId=`) \
                            and sends each new one: `id:` (strictly increasing), `event:` (its type) and one `data:` line of \
                            JSON `{"type", "at", "data"}`. `event: reset` says missed events are gone (refetch); a comment \
                            `: keep-alive` is the heartbeat; `event: shutdown` ends it when the server stops. The only \
                            endpoint that takes an API key in the URL (`?apiKey=`). One user holds at most \
                            `stream.max_streams_per_user` streams: one more is 429 `too_many_streams`.
                            """,
                        parameters: [
                            .query(
                                name: "ticket",
                                schema: .string,
                                description: "A single-use ticket from `POST /api/mission-control/activity/tickets`, in place of a credential."
                            ),
                            .header(name: "Last-Event-ID", schema: eventID, description: "The id of the last event received."),
                            .query(name: "lastEventId", schema: eventID, description: "`Last-Event-ID` for clients that cannot send headers."),
                        ],
                        responses: [
                            (
                                200,
                                OpenAPI.Response(
                                    description: "The stream; it stays open until the client leaves, the credential ends or the server stops.",
                                    headers: Responses.headers(
                                        .api,
                                        [
                                            ("Cache-Control", OpenAPI.Header(schema: .string(allowedValues: "no-cache"), required: true)),
                                            ("X-Accel-Buffering", OpenAPI.Header(schema: .string(allowedValues: "no"), required: true)),
                                        ]
                                    ),
                                    content: [.eventStream: .b(OpenAPI.Content(schema: .string))]
                                )
                            )
                        ],
                        errors: {
                            var errors = Errors(badRequest: ["invalid_request"], tooManyRequests: ["too_many_streams"])
                            errors.unavailable = ["shutting_down"]
                            return errors
                        }(),
                        security: Security.streamCredential
                    )
                )
            ),
        ]
    }

    /// An event id: a sequence number, and `.` and an index for the events of one change after its first.
    static let eventID = JSONSchema.string(pattern: "^(?:[0-9]{1,18}(?:\\.[1-9][0-9]{0,8})?)?$")
}
