import HTTPTypes

extension APIError {
    /// 429 `too_many_streams`: the user holds `limit` open activity streams already. No `Retry-After`: a
    /// slot frees when one of the user's streams ends, which no clock can tell.
    static func tooManyStreams(limit: Int) -> APIError {
        APIError(
            .tooManyRequests,
            code: "too_many_streams",
            detail: "You have \(limit) activity streams open, the most allowed. Close one to open another."
        )
    }
}
