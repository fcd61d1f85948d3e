import Foundation
import Hummingbird
import Logging

/// Logs each request once its response is ready (method, path and query, status, duration), with every
/// credential taken out of the logged URI: the value of any `apiKey` query parameter, however its name is
/// percent-encoded, and anything that looks like a key (`lb_k_...`) wherever it appears.
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
                "hb.request.uri": "\(Self.redacted(request.uri.description))",
                "hb.response.status": "\(status)",
                "duration_ms": "\(String(format: "%.1f", milliseconds))",
            ]
        )
    }

    /// `uri` with the value of every `apiKey` query parameter replaced by `REDACTED`, and any key-shaped
    /// token (`lb_k_` and what follows it) anywhere else replaced too.
    static func redacted(_ uri: String) -> String {
        var result = uri
        if let question = uri.firstIndex(of: "?") {
            let path = uri[..<question]
            let parameters = uri[uri.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
                let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
                let decoded = String(name).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(name)
                return decoded.lowercased() == "apikey" ? "\(name)=REDACTED" : String(pair)
            }
            result = path + "?" + parameters.joined(separator: "&")
        }
        return redactingKeyTokens(result)
    }

    private static func redactingKeyTokens(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let range = rest.range(of: "lb_k_", options: .caseInsensitive) {
            output += rest[..<range.lowerBound]
            output += "lb_k_REDACTED"
            rest = rest[range.upperBound...].drop { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "%") }
        }
        return output + rest
    }
}
