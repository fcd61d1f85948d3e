import Foundation
import Hummingbird
import Logging

/// Logs each request once its response is ready (method, path and query, status, duration), with every
/// credential taken out of the logged target however it is spelled (``LoggedTarget``). The line's
/// `hb.request.id` is the response's `x-request-id` (``BureauRequestContext/requestID``).
///
/// Hummingbird's `LogRequestsMiddleware` logs the URI as sent, which would put a stream's `?apiKey=` in
/// the log; this one replaces it. For a stream the line is written when the stream starts.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    /// The level request lines are logged at.
    var level: Logger.Level = .info

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, status: response.status.code, since: start, context: context)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, status: status, since: start, context: context)
            throw error
        }
    }

    private func log(_ request: Request, status: Int, since start: ContinuousClock.Instant, context: Context) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.log(
            level: level,
            "request",
            metadata: [
                "hb.request.method": "\(request.method.rawValue)",
                "hb.request.uri": "\(LoggedTarget.redacted(request.uri.description))",
                "hb.response.status": "\(status)",
                "duration_ms": "\(String(format: "%.1f", milliseconds))",
            ]
        )
    }
}
