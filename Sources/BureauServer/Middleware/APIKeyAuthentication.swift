import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Establishes who an `/api/*` request acts for. A request that presents an API key (`x-api-key`, or
/// `Authorization: Bearer`; on the activity stream also `?apiKey=`) is judged by that key alone.
///
/// It only records its finding in the context (identity, a refused key, a blocked client); refusing is
/// left to ``APIAccessMiddleware`` after the rate limits have counted the request. A client blocked from
/// API-key authentication has its key refused before anything about the key is looked at.
enum APIKeyAuthentication {
    /// Returns `true` when the request presented a key (valid or not), which then judges it alone.
    @discardableResult
    static func authenticate(
        _ request: Request,
        context: inout BureauRequestContext,
        verifier: APIKeyVerifier,
        rateLimits: APIRateLimits
    ) async -> Bool {
        guard let presented = presentedKey(in: request.headers) ?? presentedQueryKey(in: request.uri) else { return false }
        if case .blocked(let seconds) = rateLimits.apiKeyPermission(for: context.clientAddress) {
            context.apiKeyBlockedForSeconds = seconds
            return true
        }
        // Nearly every request is decided without suspending (a cached digest, or a key that cannot match);
        // only a known key's first use awaits bcrypt.
        let verdict: APIKeyVerification
        if let decided = verifier.verdictWithoutHashing(presented) {
            verdict = decided
        } else {
            verdict = await verifier.verify(presented)
        }
        switch verdict {
        case .valid(let userID, let keyID):
            context.identity = Principal(userID: userID, credential: .apiKey(keyID))
        case .invalid:
            context.presentedInvalidKey = true
            rateLimits.recordFailedAPIKey(from: context.clientAddress)
        }
        return true
    }

    /// The refusal of a request that did not authenticate: 429 for a blocked client's key, else 401.
    static func refusal(for context: BureauRequestContext) -> APIError {
        if let seconds = context.apiKeyBlockedForSeconds {
            return APIError.apiKeyAuthBlocked(retryAfterSeconds: seconds)
        }
        return APIError.unauthenticated(keyPresented: context.presentedInvalidKey)
    }

    /// The `?apiKey=` of a request to the activity stream; `nil` on every other path.
    static func presentedQueryKey(in uri: URI) -> Substring? {
        guard uri.path == ActivityController.streamPath else { return nil }
        return uri.queryParameters["apiKey"].map { $0.trimmingSpaces() }
    }

    /// The API key a request presents in its headers, if any: `x-api-key` first, then a bearer token.
    /// An empty header counts as presenting a (bad) key.
    ///
    /// One pass over the fields, comparing names only (`HTTPFields`' name subscript joins values through
    /// a lazy sequence: measurably slower on a path every request takes).
    static func presentedKey(in headers: HTTPFields) -> Substring? {
        var apiKey: Substring?
        var repeatedAPIKey = false
        var authorization: Substring?
        for field in headers {
            if field.name == .apiKey {
                if apiKey == nil { apiKey = Substring(field.value) } else { repeatedAPIKey = true }
            } else if authorization == nil, field.name == .authorization {
                authorization = Substring(field.value)
            }
        }
        if repeatedAPIKey {
            // Several `x-api-key` fields read as their comma-joined value, which is never a valid key.
            return headers[.apiKey].map { Substring($0).trimmingSpaces() }
        }
        if let apiKey { return apiKey.trimmingSpaces() }
        if let authorization {
            let trimmed = authorization.trimmingSpaces()
            // Another scheme (Basic, ...) is not an API key: it is ignored, not counted as a failed key.
            guard trimmed.utf8.count >= 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
            return trimmed.dropFirst(7).trimmingSpaces()
        }
        return nil
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (compared as bytes: both are ASCII, so the result
    /// still starts and ends on character boundaries).
    fileprivate func trimmingSpaces() -> Substring {
        var bytes = utf8
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return Substring(bytes)
    }
}
