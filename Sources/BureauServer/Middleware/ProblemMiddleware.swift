import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Turns every error into a problem+json answer, and echoes the request's id (``BureauRequestContext/requestID``,
/// the same as in its log lines) in `x-request-id`. Unknown errors become a 500 that is logged with the request id,
/// never a silent one; a known path asked with the wrong method becomes a 405 with `Allow`. The 404 or 405
/// of a path outside `/api` also carries ``PageSecurityHeaders``.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = context.requestID
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try problem(for: error, request: request, context: context, requestID: requestID)
                .response(from: request, context: context)
            // A path outside `/api` that nothing serves (or that does not take this method) is a page's
            // answer: it gets the pages' security fields, as the dashboard's own answers do.
            if let miss = error as? HTTPError, miss.status == .notFound, !APIPath.isUnderAPI(request.uri.path) {
                response.headers.append(contentsOf: PageSecurityHeaders.fields)
            }
        }
        response.headers[.requestID] = requestID
        return response
    }

    private func problem(for error: any Error, request: Request, context: Context, requestID: String) -> APIError {
        switch error {
        case let error as ErrorWithHeaders:
            var answer = problem(for: error.error, request: request, context: context, requestID: requestID)
            answer.headers.append(contentsOf: error.headers)
            return answer
        case let error as APIError:
            return error
        case let error as StoreError:
            return APIError(error)
        case let error as HTTPError where error.status == .notFound:
            if let allowed = routes.allowedMethods(for: request.uri.path), !allowed.contains(request.method) {
                var headers = HTTPFields()
                headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                return APIError(
                    .methodNotAllowed,
                    code: "method_not_allowed",
                    detail: "\(request.method.rawValue) is not allowed here.",
                    headers: headers
                )
            }
            return APIError(.notFound, code: "not_found", detail: "No such endpoint.")
        case let error as HTTPError where error.status == .contentTooLarge:
            return .bodyTooLarge
        case is NIOTooManyBytesError:
            return .bodyTooLarge
        case let error as HTTPError where error.status.code < 500:
            return APIError(error.status, code: "bad_request", detail: error.status.reasonPhrase)
        default:
            context.logger.error(
                "unexpected error",
                metadata: ["error": "\(String(reflecting: type(of: error)))", "path": "\(LoggedTarget.redacted(request.uri.path))"]
            )
            return APIError(.internalServerError, code: "internal_error", detail: "Something went wrong on our side.")
        }
    }
}

extension HTTPField.Name {
    /// `x-request-id`, present on every response.
    static let requestID = HTTPField.Name("x-request-id")!
    /// `x-api-key`, how API keys are presented.
    static let apiKey = HTTPField.Name("x-api-key")!
    /// `Idempotency-Key`, on task creation.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// `Idempotent-Replayed`, set when an answer is the stored first answer of an idempotent request.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}

/// Request ids: unique within a process (a counter) and distinct across restarts (a random prefix).
final class RequestIDGenerator: Sendable {
    /// The process's generator.
    static let shared = RequestIDGenerator()

    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    init() {
        prefix = String(UInt32.random(in: .min ... .max), radix: 16) + "-"
    }

    func next() -> String {
        Self.text(prefix: prefix, counter.add(1, ordering: .relaxed).newValue)
    }

    /// `prefix` then `value` in lowercase hexadecimal, as `prefix + String(value, radix: 16)` (written into
    /// one string: this runs for every request).
    static func text(prefix: String, _ value: UInt64) -> String {
        var prefix = prefix
        return prefix.withUTF8 { head in
            let digits = max(1, (64 - value.leadingZeroBitCount + 3) / 4)
            return String(unsafeUninitializedCapacity: head.count + digits) { out in
                var position = out.initialize(fromContentsOf: head)
                let hex: StaticString = "0123456789abcdef"
                for index in (0..<digits).reversed() {
                    out[position] = hex.utf8Start[Int((value >> UInt64(4 * index)) & 0xF)]
                    position += 1
                }
                return position
            }
        }
    }
}
