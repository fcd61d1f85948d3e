import Hummingbird

/// The application's responder: the router's, except that a request for the activity stream is handled
/// (middleware, authentication, controller) in a task of its own, which ends once the response is built.
///
/// Why: Hummingbird writes a response's body in the connection's task, and a stream's body lasts as long
/// as the stream. The Swift runtime never gives back a task's allocator slabs before the task ends, so a
/// stream's connection task would keep, for its whole life, the slabs its deepest call needed: the middleware
/// chain's async frames, about 10 KB of the 24 KiB an idle stream cost. Built in a task of its own, those
/// frames go when that task does; the connection task keeps only the shallower stack of the body writer.
/// Other requests are short-lived and are answered in place (a task costs an allocation and a hop).
struct StreamRequestResponder<Base: HTTPResponder>: HTTPResponder where Base.Context: Sendable {
    typealias Context = Base.Context

    let base: Base
    let isolatedPath: String

    /// Answers with `base`, handling requests for `isolatedPath` (the stream's path) in a task of their own.
    init(base: Base, isolatedPath: String = ActivityController.streamPath) {
        self.base = base
        self.isolatedPath = isolatedPath
    }

    @Sendable func respond(to request: Request, context: Context) async throws -> Response {
        guard request.uri.path == isolatedPath else { return try await base.respond(to: request, context: context) }
        return try await Self.respondInChildTask(base: base, request: request, context: context)
    }

    /// Out of line and small on purpose: its async frame is one of the few the stream's task keeps. An
    /// unstructured task rather than a task group: a group's storage comes from the waiting task's own
    /// allocator (another slab kept for the stream's life); the handling task still inherits the task
    /// locals (the request's logger), and is cancelled with the request.
    @inline(never)
    private static func respondInChildTask(base: Base, request: Request, context: Context) async throws -> Response {
        let handling = Task { try await base.respond(to: request, context: context) }
        return try await withTaskCancellationHandler {
            try await handling.value
        } onCancel: {
            handling.cancel()
        }
    }
}
