import HTTPTypes

extension APIError {
    /// 429 `rate_limited`: the general limit is used up; a slot frees in `retryAfterSeconds`.
    public static func rateLimited(retryAfterSeconds: Int) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return APIError(
            .tooManyRequests,
            code: "rate_limited",
            detail: "Too many requests. Retry after \(retryAfterSeconds) seconds.",
            headers: headers
        )
    }

    /// 429 `api_key_auth_blocked`: too many failed API keys came from this client; API keys from it are
    /// refused unchecked until the block ends in `retryAfterSeconds`.
    public static func apiKeyAuthBlocked(retryAfterSeconds: Int) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return APIError(
            .tooManyRequests,
            code: "api_key_auth_blocked",
            detail: "Too many invalid API keys from this address. API-key authentication is blocked for \(retryAfterSeconds) seconds.",
            headers: headers
        )
    }
}
