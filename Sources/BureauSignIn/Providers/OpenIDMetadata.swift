import BureauAuth
import Foundation
import JWTKit
import Logging
import NIOCore

/// The parts of a discovery document (`{issuer}/.well-known/openid-configuration`) Bureau uses.
struct OpenIDDocument: Decodable, Sendable {
    var issuer: String
    var authorizationEndpoint: String
    var tokenEndpoint: String
    var jwksURI: String
    var tokenEndpointAuthMethods: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case tokenEndpointAuthMethods = "token_endpoint_auth_methods_supported"
    }

    /// HTTP Basic unless the provider says it only takes the secret in the form.
    var clientAuthentication: ClientAuthentication {
        guard let methods = tokenEndpointAuthMethods, !methods.isEmpty else { return .basic }
        return !methods.contains("client_secret_basic") && methods.contains("client_secret_post") ? .post : .basic
    }
}

/// The signing keys a provider publishes, ready for jwt-kit, with the key ids they hold.
struct ProviderKeys: Sendable {
    var collection: JWTKeyCollection
    var keyIDs: Set<String>
    var fetchedAt: UInt64
}

/// An OpenID provider's discovery document and keys, fetched when first needed (a provider down when
/// Bureau starts does not stop it) and kept: the document for `documentLifetime`, the keys for
/// `keysLifetime`, and fetched again sooner when a token names a key id they lack (a key rotation), but
/// at most once per `minimumKeysRefetch`, so tokens with made-up key ids cannot make Bureau hammer the
/// provider. Concurrent sign-ins share one fetch.
actor OpenIDMetadata {
    let issuer: String
    let provider: ProviderName
    private let client: ProviderHTTPClient
    private let clock: any MonotonicClock
    private let logger: Logger
    private let documentLifetime: UInt64
    private let keysLifetime: UInt64
    private let minimumKeysRefetch: UInt64

    private var document: (value: OpenIDDocument, fetchedAt: UInt64)?
    private var documentFetch: Task<OpenIDDocument, any Error>?
    private var keys: ProviderKeys?
    private var keysFetch: Task<ProviderKeys, any Error>?
    private var lastKeysFetch: UInt64?

    init(
        issuer: String,
        provider: ProviderName,
        client: ProviderHTTPClient,
        clock: any MonotonicClock,
        logger: Logger,
        documentLifetime: Duration = .seconds(86_400),
        keysLifetime: Duration = .seconds(3600),
        minimumKeysRefetch: Duration = .seconds(60)
    ) {
        self.issuer = issuer
        self.provider = provider
        self.client = client
        self.clock = clock
        self.logger = logger
        self.documentLifetime = Self.nanoseconds(documentLifetime)
        self.keysLifetime = Self.nanoseconds(keysLifetime)
        self.minimumKeysRefetch = Self.nanoseconds(minimumKeysRefetch)
    }

    /// Where the discovery document is: the issuer (which may carry a path) + `/.well-known/openid-configuration`.
    var discoveryURL: String {
        var base = Substring(issuer)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/.well-known/openid-configuration"
    }

    /// The discovery document, fetched if not held or too old.
    func currentDocument() async throws(SignInFailure) -> OpenIDDocument {
        let now = clock.nanosecondsNow()
        if let document, now &- document.fetchedAt < documentLifetime { return document.value }
        let task: Task<OpenIDDocument, any Error>
        if let running = documentFetch {
            task = running
        } else {
            task = Task { try await self.fetchDocument() }
            documentFetch = task
        }
        do {
            let value = try await task.value
            if documentFetch == task { documentFetch = nil }
            return value
        } catch {
            if documentFetch == task { documentFetch = nil }
            throw error as? SignInFailure ?? .providerUnavailable
        }
    }

    /// The keys to check a token whose header names `keyID`: the ones held, unless they are too old or
    /// lack `keyID` (and were not fetched within the minimum interval), in which case they are fetched again.
    func keys(for keyID: String?) async throws(SignInFailure) -> ProviderKeys {
        let now = clock.nanosecondsNow()
        if let keys, now &- keys.fetchedAt < keysLifetime {
            let known = keyID.map { keys.keyIDs.contains($0) } ?? true
            if known { return keys }
            if let lastKeysFetch, now &- lastKeysFetch < minimumKeysRefetch { return keys }
        }
        let task: Task<ProviderKeys, any Error>
        if let running = keysFetch {
            task = running
        } else {
            lastKeysFetch = now
            task = Task { try await self.fetchKeys() }
            keysFetch = task
        }
        do {
            let value = try await task.value
            if keysFetch == task { keysFetch = nil }
            keys = value
            return value
        } catch {
            if keysFetch == task { keysFetch = nil }
            throw error as? SignInFailure ?? .providerUnavailable
        }
    }

    private func fetchDocument() async throws(SignInFailure) -> OpenIDDocument {
        let url = discoveryURL
        let client = client
        let answer = try await ProviderCall.run(provider, step: "discovery", logger: logger) { () async throws(ProviderCallFailure) in
            try await client.get(url, headers: [("Accept", "application/json")])
        }
        let value = try ProviderCall.decode(OpenIDDocument.self, from: answer, provider: provider, step: "discovery", logger: logger)
        guard value.issuer == issuer else {
            logger.warning(
                "discovery document names another issuer",
                metadata: ["provider": "\(provider)", "configured": "\(issuer)", "document": "\(value.issuer.prefix(200))"]
            )
            throw .providerUnavailable
        }
        for endpoint in [value.authorizationEndpoint, value.tokenEndpoint, value.jwksURI] where !EndpointURL.isAcceptable(endpoint) {
            logger.warning("discovery document names an endpoint that is neither https nor loopback", metadata: ["provider": "\(provider)"])
            throw .providerUnavailable
        }
        document = (value, clock.nanosecondsNow())
        return value
    }

    private func fetchKeys() async throws(SignInFailure) -> ProviderKeys {
        let document = try await currentDocument()
        let client = client
        let answer = try await ProviderCall.run(provider, step: "jwks", logger: logger) { () async throws(ProviderCallFailure) in
            try await client.get(document.jwksURI, headers: [("Accept", "application/json")])
        }
        guard answer.status == 200,
            let object = try? JSONSerialization.jsonObject(with: Data(answer.body.readableBytesView)) as? [String: Any],
            let entries = object["keys"] as? [Any]
        else {
            logger.warning("unusable key set from sign-in provider", metadata: ["provider": "\(provider)", "status": "\(answer.status)"])
            throw .providerUnavailable
        }
        // Each key on its own: one of a kind jwt-kit does not know (an encryption key, say) is skipped.
        let collection = JWTKeyCollection()
        var keyIDs: Set<String> = []
        for entry in entries {
            guard let data = try? JSONSerialization.data(withJSONObject: entry),
                let jwk = try? JSONDecoder().decode(JWK.self, from: data),
                let keyID = jwk.keyIdentifier?.string,
                (try? await collection.add(jwk: jwk)) != nil
            else { continue }
            keyIDs.insert(keyID)
        }
        return ProviderKeys(collection: collection, keyIDs: keyIDs, fetchedAt: clock.nanosecondsNow())
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(seconds, 0)) * 1_000_000_000 + UInt64(max(attoseconds, 0) / 1_000_000_000)
    }
}

/// Which provider endpoints Bureau talks to: `https://` anywhere, `http://` only on the loopback
/// interface (a local test provider), since the client secret and the tokens travel in these calls.
public enum EndpointURL {
    public static func isAcceptable(_ url: String) -> Bool {
        let lowered = url.lowercased()
        if lowered.hasPrefix("https://") { return lowered.count > "https://".count }
        guard lowered.hasPrefix("http://") else { return false }
        let rest = lowered.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return false }
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.prefix { $0 != "]" }.dropFirst()
        } else {
            host = authority.prefix { $0 != ":" }
        }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let isLoopbackIPv4 = octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
        return host == "localhost" || host == "::1" || isLoopbackIPv4
    }
}
