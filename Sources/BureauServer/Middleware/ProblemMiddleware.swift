import BureauStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The outermost middleware: gives every request an id (echoed in `x-request-id`), and turns every
/// error into a problem+json answer. Unknown errors become a 500 that is logged with the request id,
/// never a silent one; a known path asked with the wrong method becomes a 405 with `Allow`.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = BureauRequestContext

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Hummingbird gives every request an id and puts it on the request's logger (`hb.request.id`):
        // the same id goes back to the client, so a report can be matched to the log lines.
        let requestID = context.id
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try problem(for: error, request: request, context: context).response(from: request, context: context)
        }
        response.headers[.requestID] = requestID
        return response
    }

    private func problem(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as ErrorWithHeaders:
            var answer = problem(for: error.error, request: request, context: context)
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
                metadata: ["error": "\(String(reflecting: type(of: error)))", "path": "\(request.uri.path)"]
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
