import Hummingbird
import Synchronization

/// Every route the server has, by path pattern and method: lets a request for a known path with an
/// unsupported method be answered 405 with `Allow`, instead of 404.
public final class RouteTable: Sendable {
    private struct Entry {
        var segments: [Substring]
        var methods: Set<HTTPRequest.Method>
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Records that `path` (a router pattern such as `/api/desktops/{id}`) answers `method`.
    func record(_ path: String, method: HTTPRequest.Method) {
        entries.withLock { entries -> Void in
            entries[path, default: Entry(segments: Self.segments(of: path), methods: [])].methods.insert(method)
        }
    }

    /// Every route: each path pattern as recorded (e.g. `/api/desktops/{id}`) with the methods it answers.
    public var routes: [String: Set<HTTPRequest.Method>] {
        entries.withLock { entries in entries.mapValues(\.methods) }
    }

    /// The pattern of the route `path` names (the literal one, if one matches), or `nil` when none does.
    public func pattern(matching path: String) -> String? {
        let requested = Self.segments(of: path)
        return entries.withLock { entries in
            var found: String?
            for (pattern, entry) in entries where Self.matches(entry.segments, requested) {
                if entry.segments == requested { return pattern }
                if found == nil || pattern < found! { found = pattern }
            }
            return found
        }
    }

    /// The methods allowed on `path`, or `nil` when no route matches the path at all.
    /// A route written out literally for the path (`/api/auth/api-keys/report`) is the one the router
    /// takes, whatever a parameterised one (`/api/auth/api-keys/{id}`) allows: its methods alone count.
    public func allowedMethods(for path: String) -> Set<HTTPRequest.Method>? {
        let requested = Self.segments(of: path)
        return entries.withLock { entries in
            if let literal = entries.values.first(where: { $0.segments == requested }) { return literal.methods }
            var allowed: Set<HTTPRequest.Method>?
            for entry in entries.values where Self.matches(entry.segments, requested) {
                allowed = (allowed ?? []).union(entry.methods)
            }
            return allowed
        }
    }

    private static func segments(of path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        guard pattern.count == path.count else { return false }
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") || expected.hasPrefix(":") { continue }
            if expected != actual { return false }
        }
        return true
    }
}

/// A router front that records every route it adds into a ``RouteTable``.
struct RecordingRouter<Context: RequestContext>: RouterMethods {
    let router: Router<Context>
    let table: RouteTable

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        table.record(path.description, method: method)
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}
