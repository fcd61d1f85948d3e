import BureauStore

/// Which request targets the access gate governs, however their path is spelled.
///
/// The router (Hummingbird's trie) matches the raw path, split at `/` with empty segments skipped, case
/// sensitively, without percent-decoding and without resolving `.` or `..`: so `//api/desktops` and
/// `/api/desktops/` reach `/api/desktops`, while `/API/desktops`, `/./api/desktops`, `/api%2Fdesktops` and
/// `/api/../api/desktops` match no route. A matched route is judged by its pattern; a target that matched
/// none is judged by a generous reading of its path (decoded, dot segments resolved, any case), so that
/// nothing the router might serve under `/api` escapes the gate, and odd spellings that reach no route
/// are at most answered 404 after it.
public enum APIPath {
    /// Whether the gate governs a request for `path` that the router matched to `route` (`nil`: no route).
    public static func isGoverned(route: String?, path: some StringProtocol) -> Bool {
        if let route { return isAPIRoute(route) }
        return isUnderAPI(path)
    }

    /// Whether a route pattern lies under `/api`.
    public static func isAPIRoute(_ route: String) -> Bool {
        var bytes = route.utf8[...]
        while bytes.first == UInt8(ascii: "/") { bytes.removeFirst() }
        return bytes.starts(with: "api".utf8) && (bytes.count == 3 || bytes.dropFirst(3).first == UInt8(ascii: "/"))
    }

    /// Whether `path`, read generously (percent-decoded until stable, `\` as `/`, empty and `.` segments
    /// dropped, `..` resolved, `;` parameters ignored, any case), starts with the segment `api`. A path
    /// still changing after several rounds of decoding counts as under `/api` (fail closed).
    public static func isUnderAPI(_ path: some StringProtocol) -> Bool {
        var bytes = Array(path.utf8)
        var rounds = 0
        while let decoded = PercentDecoding.decodeOnce(bytes) {
            bytes = decoded
            rounds += 1
            if rounds > PercentDecoding.maxRounds { return true }
        }
        var segments: [ArraySlice<UInt8>] = []
        for raw in bytes.split(omittingEmptySubsequences: true, whereSeparator: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }) {
            let segment = raw.prefix { $0 != UInt8(ascii: ";") }
            if segment.isEmpty || segment.elementsEqual(".".utf8) { continue }
            if segment.elementsEqual("..".utf8) {
                _ = segments.popLast()
                continue
            }
            segments.append(segment)
        }
        guard let first = segments.first else { return false }
        return CrossSiteRequestCheck.equalsIgnoringCase(String(decoding: first, as: UTF8.self), "api")
    }
}

/// Percent-decoding of raw bytes, one round at a time (so double encodings can be peeled off).
public enum PercentDecoding {
    /// How many rounds callers peel off before giving up on a target.
    public static let maxRounds = 8

    /// `bytes` with every `%XX` (hex, any case) decoded; `nil` when there is none.
    public static func decodeOnce(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        var changed = false
        var index = bytes.startIndex
        output.reserveCapacity(bytes.count)
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                if first != bytes.endIndex, let high = HexDigit.value(bytes[first]) {
                    let second = bytes.index(after: first)
                    if second != bytes.endIndex, let low = HexDigit.value(bytes[second]) {
                        output.append(high << 4 | low)
                        changed = true
                        index = bytes.index(after: second)
                        continue
                    }
                }
            }
            output.append(byte)
            index = bytes.index(after: index)
        }
        return changed ? output : nil
    }

}
