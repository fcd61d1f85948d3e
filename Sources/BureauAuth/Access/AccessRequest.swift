/// What the access gate judges a request by: who sends it, what it presents, where it goes and how.
/// Credentials are borrowed views of the request's own bytes (no copies on the hot path).
public struct AccessRequest: Sendable {
    /// The client's address (the socket peer, or what a trusted proxy reports).
    public var client: IPAddress
    /// The presented API key: `x-api-key`, else an `Authorization: Bearer` token, else (on the stream's
    /// route only, see ``AccessGate/acceptsKeyInQuery(route:)``) the `?apiKey=` value. `nil`: none presented.
    public var apiKey: Substring?
    /// A stream ticket (`?ticket=`, on the stream's route only, when no key was presented). `nil`: none.
    public var ticket: Substring?
    /// The session cookie's value, when no API key is presented (a key judges a request alone).
    public var sessionCookie: Substring?
    /// The route the router matched (its pattern, such as `/api/desktops/{id}`); `nil` when none did.
    public var route: String?
    /// The path as sent, consulted only when no route matched: a public route that is switched off (not
    /// routed) still answers its exact path without credentials, with the 404 of an absent endpoint.
    public var path: String?
    /// The method's name (`GET`, `POST`, ...).
    public var method: String
    /// `Sec-Fetch-Site`, read only for cookie-authenticated requests.
    public var fetchSite: Substring?
    /// `Origin`, read only for cookie-authenticated requests.
    public var origin: Substring?

    /// A request from `client` for `route` with `method`, presenting nothing yet.
    public init(client: IPAddress, route: String?, method: String) {
        self.client = client
        self.route = route
        self.method = method
    }
}
