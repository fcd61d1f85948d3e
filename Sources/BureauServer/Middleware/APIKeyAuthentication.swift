import BureauAuth
import BureauStore
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Reads the API key a request presents, for the ``AccessGate`` (which judges it): `x-api-key`, or
/// `Authorization: Bearer`; on the activity stream's route (as the gate allows) also `?apiKey=`.
enum APIKeyAuthentication {
    /// The `?apiKey=` of a request, if any. Read only where the gate accepts a key in the query.
    static func presentedQueryKey(in uri: URI) -> Substring? {
        uri.queryParameters["apiKey"].map { $0.trimmingSpaces() }
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
