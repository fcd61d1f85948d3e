import BureauStore
import Hummingbird
import Logging

/// Counts each request in the metrics (route template, method, status, duration) and logs it once its
/// response is ready: method, target, route template, status, duration, and
/// for `/api` requests the client's address, the user and how it authenticated. Every credential is
/// taken out of the logged target however it is spelled (``LoggedTarget``). The record's request id is
/// the response's `x-request-id` (``BureauRequestContext/requestID``).
///
/// Hummingbird's `LogRequestsMiddleware` logs the URI as sent, which would put a stream's `?apiKey=` in
/// the log; this one replaces it. For a stream the line is written when the stream starts. The record is
/// handed to `log` unformatted: the server's log formats and writes it off the request path.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let log: any RequestLog
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, status: response.status.code, since: start, context: context)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, status: status, since: start, context: context)
            throw error
        }
    }

    private func record(_ request: Request, status: Int, since start: ContinuousClock.Instant, context: Context) {
        let duration = ContinuousClock.now - start
        metrics.recordRequest(route: context.endpointPath, method: request.method.rawValue, status: status, duration: duration)
        guard log.isEnabled(for: context.logger) else { return }
        let (client, principal) = context.trace.snapshot
        var record = RequestLogRecord(
            requestID: context.requestID,
            method: request.method.rawValue,
            target: LoggedTarget.redacted(request.uri.description),
            route: context.endpointPath,
            status: status,
            duration: duration,
            client: client
        )
        record.attribute(to: principal)
        log.record(record, logger: context.logger)
    }
}
