import OpenAPIKit

/// The shapes of bodies, named in `components/schemas` and referred to from the paths.
enum Schemas {
    /// A reference to the named component schema.
    static func ref(_ name: String, required: Bool = true) -> JSONSchema {
        .reference(.component(named: name), required: required)
    }

    static let timestamp = JSONSchema.string(
        format: .dateTime,
        description: "RFC 3339 UTC with milliseconds, e.g. `2026-11-22T10:00:00.000Z`."
    )
    static let nullableTimestamp = JSONSchema.string(format: .dateTime, nullable: true)
    static let id = JSONSchema.string(description: "An opaque id.")
    static let nextCursor = JSONSchema.string(
        nullable: true,
        description: "The next page's `cursor`, or `null` on the last page."
    )
    /// Unicode's White_Space characters, which the store trims from both ends of names and emails (spelled
    /// out: a pattern's `\\s` also takes U+001C-U+001F, which the store does not trim).
    static let whitespace = #"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"#
    /// Control characters (C0, DEL, C1) and the line and paragraph separators, which no name may hold once
    /// trimmed. The store also refuses the bidirectional embedding, override, isolate and mark characters
    /// (``InputRules``), which the description names: with those too the pattern grows past what
    /// schemathesis's coverage phase folds correctly.
    static let forbiddenInName = #"\u0000-\u001F\u007F-\u009F\u2028\u2029"#

    /// A display name: whitespace at either end (trimmed), then 1 to 100 characters that start and end with
    /// a non-whitespace one and hold no control character.
    static let displayName = JSONSchema.string(
        description: """
            1 to 100 characters after trimming surrounding whitespace; no control character (C0, DEL, C1), line or \
            paragraph separator (U+2028, U+2029), nor bidirectional embedding, override, isolate or mark (U+202A-U+202E, \
            U+2066-U+2069, U+200E, U+200F, U+061C).
            """,
        minLength: 1,
        pattern:
            "^[\(whitespace)]*[^\(forbiddenInName)\(whitespace)](?:[^\(forbiddenInName)]{0,98}[^\(forbiddenInName)\(whitespace)])?[\(whitespace)]*$"
    )

    /// Characters an email may not hold once trimmed: `@` (but the one), whitespace and C0 controls, DEL.
    static let notInEmail = #"@\u0000-\u001F\u007F"# + whitespace

    /// An email address as the store takes it: surrounding whitespace trimmed, then a non-empty local part,
    /// `@`, and a domain with a dot neither first nor last; no whitespace or control characters inside.
    static let email = JSONSchema.string(
        description: "An email address (trimmed and lowercased), at most 254 characters once trimmed.",
        pattern: "^[\(whitespace)]*[^\(notInEmail)]+@[^\(notInEmail).](?:[^\(notInEmail)]*\\.)+[^\(notInEmail)]*[^\(notInEmail).][\(whitespace)]*$"
    )

    static var components: OpenAPI.ComponentDictionary<JSONSchema> {
        [
            "Problem": problem,
            "FieldError": .object(
                properties: ["field": .string, "message": .string]
            ),
            "Desktop": .object(
                properties: [
                    "id": id,
                    "name": .string,
                    "status": .string(allowedValues: "running", "stopped"),
                    "createdAt": timestamp,
                    "updatedAt": timestamp,
                ]
            ),
            "DesktopList": .object(properties: ["data": .array(items: ref("Desktop")), "nextCursor": nextCursor]),
            "Task": .object(
                properties: [
                    "id": id,
                    "type": .string(allowedValues: "prompt"),
                    "content": .string,
                    "desktopId": .string,
                    "status": taskStatus,
                    "result": .string(nullable: true, description: "`null` until a result is set."),
                    "createdAt": timestamp,
                    "updatedAt": timestamp,
                ]
            ),
            "TaskList": .object(properties: ["data": .array(items: ref("Task")), "nextCursor": nextCursor]),
            "APIKey": .object(
                properties: [
                    "id": id,
                    "name": .string,
                    "preview": .string(description: "The key's last 4 characters only, e.g. `lb_k_...9f3a`."),
                    "createdAt": timestamp,
                    "lastUsedAt": nullableTimestamp,
                    "expiresAt": nullableTimestamp,
                    "scope": keyScope,
                    "rolled": .boolean(
                        description:
                            "Whether the key was rolled: a successor replaced it, and it expires at the end of the grace period (`expiresAt`)."
                    ),
                    "unused": .boolean(
                        description: "Whether the key went unused for `auth.unused_key_days` (always `false` when that is not set)."
                    ),
                    "usage": .object(
                        properties: [
                            "days": .array(
                                description: "Requests on each of the last 30 UTC days, oldest first; the last is today.",
                                minItems: 30,
                                maxItems: 30,
                                items: .integer(minimum: (0, exclusive: false))
                            ),
                            "firstDay": .string(format: .date, description: "The UTC date of `days[0]`."),
                            "lastClientAddress": .string(
                                nullable: true,
                                description: "The client address of the key's latest use, `null` before the first."
                            ),
                        ]
                    ),
                ]
            ),
            "APIKeyList": .object(properties: ["data": .array(items: ref("APIKey"))]),
            "CreatedAPIKey": .object(
                description: "The one answer that ever holds a key's plaintext.",
                properties: [
                    "id": id,
                    "name": .string,
                    "key": .string(maxLength: 72, pattern: "^lb_k_[A-Za-z0-9_]+$"),
                    "preview": .string,
                    "createdAt": timestamp,
                    "expiresAt": nullableTimestamp,
                    "scope": keyScope,
                ]
            ),
            "Me": .object(
                properties: [
                    "id": id,
                    "email": .string,
                    "name": .string,
                    "createdAt": timestamp,
                    "authMethod": .string(allowedValues: "api_key", "session"),
                    "apiKeyId": .string(required: false, description: "The key's id, when the request used an API key."),
                    "scope": keyScope,
                ]
            ),
            "SignInOptions": .object(
                properties: [
                    "data": .array(
                        items: .object(
                            properties: [
                                "name": .string,
                                "displayName": .string,
                                "signInUrl": .string(description: "`/api/auth/oauth/{name}`"),
                            ]
                        )
                    ),
                    "devLogin": .boolean,
                ]
            ),
            "ActivityEvent": .object(
                properties: [
                    "id": .string(description: "Strictly increasing; the stream's `id:`."),
                    "type": .string(
                        allowedValues: "task.created",
                        "task.updated",
                        "desktop.created",
                        "desktop.updated",
                        "desktop.deleted",
                        "api_key.created",
                        "api_key.revoked",
                        "api_key.rolled",
                        "api_key.leaked",
                        "api_key.revoked_unused"
                    ),
                    "at": timestamp,
                    "data": .object(description: "The task, desktop or key (as listed) the event is about."),
                ]
            ),
            "ActivityList": .object(properties: ["data": .array(items: ref("ActivityEvent")), "nextCursor": nextCursor]),
            "Status": .object(properties: ["status": .string(allowedValues: "ok", "ready", "read_only", "received")]),
            "StreamTicket": .object(
                properties: [
                    "ticket": .string(description: "Single use: `?ticket=` on the activity stream."),
                    "expiresAt": timestamp,
                ]
            ),
        ]
    }

    /// What a key may do: everything its owner may (`full`, the default), or only read (`read`).
    static let keyScope = JSONSchema.string(allowedValues: "full", "read")

    static let taskStatus = JSONSchema.string(allowedValues: "queued", "running", "completed", "failed", "cancelled")

    /// RFC 9457 problem details with Bureau's stable `code`; `errors` lists offending fields of a 400.
    static let problem = JSONSchema.object(
        properties: [
            "type": .string,
            "title": .string,
            "status": .integer(maximum: (599, exclusive: false), minimum: (400, exclusive: false)),
            "detail": .string,
            "code": .string(description: "Stable and machine-readable, e.g. `invalid_api_key`."),
            "errors": .array(required: false, items: ref("FieldError")),
        ]
    )
}
