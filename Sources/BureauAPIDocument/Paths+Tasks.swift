import OpenAPIKit

/// `/api/mission-control/tasks`: create (with `Idempotency-Key`), list newest first, show, move through the
/// status machine.
enum TaskPaths {
    static var items: [(String, OpenAPI.PathItem)] {
        [
            (
                "/api/mission-control/tasks",
                OpenAPI.PathItem(
                    get: Endpoint.operation(
                        "listTasks",
                        tag: "tasks",
                        summary: "The caller's tasks, newest first",
                        parameters: [
                            .query(
                                name: "desktopId",
                                schema: .string,
                                description: "Only this desktop's tasks (404 if none, 403 if another user's)."
                            ),
                            .query(name: "status", schema: Schemas.taskStatus, description: "Only tasks in this status."),
                            Endpoint.limit,
                            Endpoint.cursor(kind: "tasks"),
                        ],
                        responses: [(200, Responses.json("A page of tasks.", Schemas.ref("TaskList")))],
                        errors: Errors(badRequest: ["invalid_request"], forbidden: ["forbidden"], notFound: true)
                    ),
                    post: Endpoint.operation(
                        "createTask",
                        tag: "tasks",
                        summary: "Create a task on one of the caller's desktops",
                        description: "A retry with the same `Idempotency-Key` and body answers with the first task (`Idempotent-Replayed: true`).",
                        parameters: [
                            .header(
                                name: "Idempotency-Key",
                                schema: .string(minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7E]+$"),
                                description: "1 to 255 visible ASCII characters; kept 24 hours."
                            )
                        ],
                        body: Endpoint.jsonBody(
                            "The task.",
                            properties: [
                                "type": .string(allowedValues: "prompt"),
                                "content": .string(minLength: 1, maxLength: 100_000),
                                "desktopId": .string(description: "One of the caller's desktops (404 if none, 403 if another user's).", minLength: 1),
                            ]
                        ),
                        responses: [
                            (
                                201,
                                Responses.json(
                                    "The new task (or, for a retry, the first one).",
                                    Schemas.ref("Task"),
                                    headers: [("Idempotent-Replayed", OpenAPI.Header(schema: .string(allowedValues: "true")))],
                                    links: ["getTask": DesktopPaths.link("getTask"), "updateTask": DesktopPaths.link("updateTask")]
                                )
                            )
                        ],
                        errors: Errors.change(forbidden: ["forbidden"], notFound: true, conflict: ["idempotency_key_reused"])
                    )
                )
            ),
            (
                "/api/mission-control/tasks/{id}",
                OpenAPI.PathItem(
                    parameters: [.b(Endpoint.idParameter("task"))],
                    get: Endpoint.operation(
                        "getTask",
                        tag: "tasks",
                        summary: "One of the caller's tasks",
                        responses: [(200, Responses.json("The task.", Schemas.ref("Task")))],
                        errors: Errors(forbidden: ["forbidden"], notFound: true)
                    ),
                    patch: Endpoint.operation(
                        "updateTask",
                        tag: "tasks",
                        summary: "Move a task to another status, with its result",
                        description: "`queued → running → completed|failed`, `queued|running → cancelled`; any other move is 409.",
                        body: Endpoint.jsonBody(
                            "The new status, and the result when given.",
                            properties: ["status": Schemas.taskStatus, "result": .string(required: false, maxLength: 100_000)]
                        ),
                        responses: [(200, Responses.json("The task as changed.", Schemas.ref("Task")))],
                        errors: Errors.change(forbidden: ["forbidden"], notFound: true, conflict: ["invalid_transition"])
                    )
                )
            ),
        ]
    }
}
