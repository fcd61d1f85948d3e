import BureauAuth
import HTTPTypes
import Hummingbird

/// An error on its way to ``ProblemMiddleware`` together with headers its response must carry.
struct ErrorWithHeaders: Error {
    /// What went wrong.
    let error: any Error
    /// Added to the problem response.
    let headers: HTTPFields
}

extension HTTPField.Name {
    /// `RateLimit-Policy`: the quota and window of each policy.
    static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
    /// `RateLimit`: what is left of a policy's quota and when a slot frees.
    static let rateLimit = HTTPField.Name("RateLimit")!
}
