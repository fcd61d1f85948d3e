import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// `http.synchronous_reads` (on by default): the one read that ``SynchronousReadHandler``
/// answers on the connection's event loop instead of handing it to the router, `GET /api/desktops` with an
/// API key the digest cache has verified, with the same answer the router gives, byte for byte but for
/// `Date` and the request id's value.
///
/// It repeats, for this one route, what the router's path does around the controller, through the same
/// functions wherever there is one to call: the access gate's decision (``AccessGate/decideWithoutKeyCheck(_:)``,
/// the one decision; a key that needs bcrypt goes to the router untouched), the rate-limit fields, the
/// request id (``RequestIDGenerator``), the problem answers of refusals (``APIError``), the listing
/// (``DesktopsController/listing(_:by:after:limit:)``), the metrics (``ServerMetrics/recordRequest(route:method:status:duration:)``)
/// and the request log record (``RequestLogRecord``). What it repeats without sharing code is listed in
/// BENCHMARKS.md ("Seventh session: synchronous reads prototype"): the order in which the middleware appends fields, and which requests
/// qualify (``accepts(_:)``).
final class SynchronousReads: Sendable {
    /// The route (and the only path spelling) answered here.
    static let desktopsRoute = "/api/desktops"

    let gate: AccessGate
    let operations: Operations
    let requestLog: any RequestLog
    let metrics: ServerMetrics
    /// `RateLimit-Policy`, as ``APIAccessMiddleware`` appends it.
    let policyField: HTTPField
    /// The `Date` field's text, as the framework writes it.
    let dates = HTTPDateText()
    private let answers = Atomic<Int>(0)
    /// The metrics of this route's `200`, looked up once.
    private let answeredSeries: ServerMetrics.Series

    /// Reads judged by `gate`, served from `operations`, counted in `metrics` and logged to `requestLog`.
    init(gate: AccessGate, operations: Operations, requestLog: any RequestLog, metrics: ServerMetrics) {
        self.gate = gate
        self.operations = operations
        self.requestLog = requestLog
        self.metrics = metrics
        policyField = HTTPField(name: .rateLimitPolicy, value: gate.limits.fields.policy)
        answeredSeries = metrics.series(route: Self.desktopsRoute, method: HTTPRequest.Method.get.rawValue, status: 200)
    }

    /// How many requests were answered here (not handed to the router) since start.
    var answered: Int { answers.load(ordering: .relaxed) }

    /// Whether a request with `head` may be answered here, judged on its head alone and without any effect:
    /// `GET` of exactly `/api/desktops` (no query, no other spelling of the path: `//api/desktops`,
    /// `/api/desktops/`, `/api/%64esktops` all go to the router, whose rules decide them), presenting an
    /// API key in its headers, without a body, `Expect` or `Connection` field (the router's path handles
    /// those).
    func accepts(_ head: HTTPRequest) -> Bool {
        guard head.method == .get, head.path == Self.desktopsRoute else { return false }
        var presentsKey = false
        for field in head.headerFields {
            switch field.name {
            case .contentLength, .transferEncoding, .expect, .connection: return false
            case .apiKey, .authorization: presentsKey = true
            default: break
            }
        }
        return presentsKey
    }

    /// The answer to an accepted request from the socket peer `peer`, with its effects (limiter, key use,
    /// metrics, request log through `logger` when `logged`: ``RequestLog/isEnabled(for:)`` of that logger,
    /// asked once per connection), or `nil`, having done nothing, when the request must go to the router after
    /// all (its key needs bcrypt, or it presents none).
    func answer(_ head: HTTPRequest, peer: SocketAddress?, logger: Logger, logged: Bool) -> (head: HTTPResponse, body: ByteBuffer)? {
        let start = ContinuousClock.now
        guard let key = APIKeyAuthentication.presentedKey(in: head.headerFields) else { return nil }
        let client = ClientAddress.of(peer: peer, headers: head.headerFields, resolver: gate.limits.resolver)
        var access = AccessRequest(client: client, route: Self.desktopsRoute, method: head.method.rawValue)
        access.apiKey = key
        guard let verdict = gate.decideWithoutKeyCheck(access) else { return nil }

        let rateLimit = gate.limits.fields.rateLimit(for: verdict.rateLimit)
        let requestID = RequestIDGenerator.shared.next()
        var principal: Principal?
        var answer: (status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer)
        switch verdict.outcome {
        case .refused(let refusal):
            answer = problem(APIError(refusal), rateLimit: rateLimit)
        case .admitted(nil):
            // Only a public route admits without credentials, and this is none: the controller's own 401.
            answer = problem(.unauthenticated(keyPresented: false), rateLimit: rateLimit)
        case .admitted(let admitted?):
            principal = admitted
            do {
                let listing = try DesktopsController.listing(operations, by: .user(admitted), after: nil, limit: Query.defaultLimit)
                let body = JSONResponse.body(listing)
                // In the order the router's path adds them: the controller, the framework's length, then the
                // access middleware's rate-limit fields.
                var headers = HTTPFields()
                headers.reserveCapacity(7)
                headers.append(JSONResponse.contentType)
                headers.append(HTTPField(name: .contentLength, value: String(body.readableBytes)))
                if let rateLimit {
                    headers.append(policyField)
                    headers.append(HTTPField(name: .rateLimit, value: rateLimit))
                }
                answer = (.ok, headers, body)
            } catch let error as APIError {
                answer = problem(error, rateLimit: rateLimit)
            } catch let error as StoreError {
                answer = problem(APIError(error), rateLimit: rateLimit)
            } catch {
                logger.error("unexpected error", metadata: ["error": "\(String(reflecting: type(of: error)))", "path": "\(head.path ?? "")"])
                answer = problem(
                    APIError(.internalServerError, code: "internal_error", detail: "Something went wrong on our side."),
                    rateLimit: rateLimit
                )
            }
        }
        // What the problem middleware and the framework add to every answer (neither field is there yet).
        answer.headers.append(HTTPField(name: .requestID, value: requestID))
        answer.headers.append(HTTPField(name: .date, value: dates.now()))

        let duration = ContinuousClock.now - start
        if answer.status == .ok {
            answeredSeries.record(duration)
        } else {
            metrics.recordRequest(route: Self.desktopsRoute, method: head.method.rawValue, status: answer.status.code, duration: duration)
        }
        if logged {
            var record = RequestLogRecord(
                requestID: requestID,
                method: head.method.rawValue,
                target: LoggedTarget.redacted(head.path ?? ""),
                route: Self.desktopsRoute,
                status: answer.status.code,
                duration: duration,
                client: client
            )
            record.attribute(to: principal)
            // The record names its request id itself (no copy of the logger with it set).
            requestLog.record(record, logger: logger)
        }
        answers.add(1, ordering: .relaxed)
        return (HTTPResponse(status: answer.status, headerFields: answer.headers), answer.body)
    }

    /// A problem answer with the rate-limit fields, as ``ProblemMiddleware`` renders an error that
    /// ``APIAccessMiddleware`` passed on.
    private func problem(_ error: APIError, rateLimit: String?) -> (status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) {
        var error = error
        if let rateLimit {
            var fields = HTTPFields()
            fields[.rateLimitPolicy] = gate.limits.fields.policy
            fields[.rateLimit] = rateLimit
            error.headers.append(contentsOf: fields)
        }
        let rendered = error.rendered()
        var headers = rendered.headers
        headers[.contentLength] = String(rendered.body.readableBytes)
        return (error.status, headers, rendered.body)
    }
}
