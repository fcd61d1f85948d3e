import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird

/// Establishes who an `/api/*` request acts for from its session cookie, when it presented no API key
/// (a request with a key is judged by the key alone, a cookie beside it ignored). Like
/// ``APIKeyAuthentication`` it only records its finding; ``APIAccessMiddleware`` refuses.
enum SessionAuthentication {
    static func authenticate(_ request: Request, context: inout BureauRequestContext, sessions: SessionVerifier, cookie: SessionCookie) {
        guard let value = cookie.value(in: request.headers) else { return }
        switch sessions.verify(value) {
        case .valid(let userID, let sessionID):
            context.identity = Principal(userID: userID, credential: .session(sessionID))
        case .invalid:
            context.presentedInvalidSession = true
        }
    }
}
