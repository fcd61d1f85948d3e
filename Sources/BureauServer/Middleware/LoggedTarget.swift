import BureauAuth

/// A request target as it may be logged: every credential taken out, however it is spelled.
///
/// The target is cut at its delimiters (`/ ? & # ;`). A piece `name=value` whose name, fully
/// percent-decoded, is a credential's name (`apikey`, `api_key`, `api-key`, `x-api-key`, `token`,
/// `access_token`, a stream's `ticket`, and a sign-in's `code`, `state`, `id_token`, `client_secret`, in any case) is logged as
/// `name=REDACTED`. Any other piece that percent-decodes to
/// something else is judged by what it decodes to (recursively, so double encodings and encoded
/// delimiters are seen through); if that holds a credential, the decoded form is logged with the credential
/// replaced, else the piece is logged as sent. A credential is an `lb_k_` token in any case (replaced with
/// all that follows it up to the next delimiter), or any run of 25 or more letters and digits (a key's
/// secret is 30 of them: a key split by an odd character still loses most of its secret). Anything unprintable is logged percent-encoded, so a
/// target cannot forge log lines. A target still changing after several rounds of decoding is replaced whole.
enum LoggedTarget {
    /// Names whose values are always hidden (compared after decoding, ignoring case).
    /// `code` and `state` are a sign-in callback's authorization code and state.
    static let secretNames: Set<String> = [
        "apikey", "api_key", "api-key", "x-api-key", "token", "access_token", "code", "state", "id_token", "client_secret", "ticket",
    ]
    /// Runs of letters and digits at least this long are hidden, wherever they are.
    static let longestVisibleRun = 24
    /// `lb_k_`, as bytes.
    private static let keyPrefix: [UInt8] = Array("lb_k_".utf8)

    /// `target` with every credential replaced by `REDACTED`.
    static func redacted(_ target: String) -> String {
        // The usual target (nothing encoded, no `name=value`, nothing key-like, all printable) is logged as
        // it is, without a copy.
        guard needsRedaction(target.utf8) else { return target }
        guard let result = redact(Array(target.utf8)[...], depth: 0) else { return "REDACTED" }
        return printable(result)
    }

    /// Cheap check, in one pass without a copy: anything encoded, a `name=value`, a long run of letters and
    /// digits, an `lb_k_` in any case, or an unprintable byte.
    private static func needsRedaction(_ bytes: String.UTF8View) -> Bool {
        var run = 0
        var prefixMatched = 0
        let prefix = keyPrefix
        for byte in bytes {
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "=") || !(0x21...0x7E).contains(byte) { return true }
            if isAlphanumeric(byte) {
                run += 1
                if run > longestVisibleRun { return true }
            } else {
                run = 0
            }
            if byte | 0x20 == prefix[prefixMatched] | 0x20 {
                prefixMatched += 1
                if prefixMatched == prefix.count { return true }
            } else {
                prefixMatched = byte | 0x20 == prefix[0] ? 1 : 0
            }
        }
        return false
    }

    /// The redacted bytes; `nil` when decoding did not settle.
    private static func redact(_ bytes: ArraySlice<UInt8>, depth: Int) -> [UInt8]? {
        guard depth <= PercentDecoding.maxRounds else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var pieceStart = bytes.startIndex
        for index in bytes.indices where isDelimiter(bytes[index]) {
            guard let piece = redactPiece(bytes[pieceStart..<index], depth: depth) else { return nil }
            output += piece
            output.append(bytes[index])
            pieceStart = bytes.index(after: index)
        }
        guard let last = redactPiece(bytes[pieceStart...], depth: depth) else { return nil }
        return output + last
    }

    private static func redactPiece(_ piece: ArraySlice<UInt8>, depth: Int) -> [UInt8]? {
        if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
            let name = piece[..<equals]
            if let decodedName = fullyDecoded(name), secretNames.contains(String(decoding: decodedName, as: UTF8.self).lowercased()) {
                return Array(name) + Array("=REDACTED".utf8)
            }
            guard let redactedName = redactPiece(name, depth: depth),
                let redactedValue = redactPiece(piece[piece.index(after: equals)...], depth: depth)
            else { return nil }
            return redactedName + [UInt8(ascii: "=")] + redactedValue
        }
        if let decoded = PercentDecoding.decodeOnce(piece) {
            guard let inner = redact(decoded[...], depth: depth + 1) else { return nil }
            return inner == decoded ? Array(piece) : inner
        }
        return redactTokens(piece)
    }

    /// `piece` (nothing left to decode) with an `lb_k_` token (and all after it) and long runs replaced.
    private static func redactTokens(_ piece: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var index = piece.startIndex
        while index < piece.endIndex {
            if piece[index...].count >= 5, hasKeyPrefix(piece, endingAt: index + 4) {
                output += Array("lb_k_REDACTED".utf8)
                break
            }
            if isAlphanumeric(piece[index]) {
                var end = index
                while end < piece.endIndex, isAlphanumeric(piece[end]) { end += 1 }
                if end - index > longestVisibleRun {
                    output += Array("REDACTED".utf8)
                } else {
                    output += piece[index..<end]
                }
                index = end
                continue
            }
            output.append(piece[index])
            index += 1
        }
        return output
    }

    /// The bytes decoded until nothing changes; `nil` when that takes too many rounds.
    private static func fullyDecoded(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var current = Array(bytes)
        for _ in 0...PercentDecoding.maxRounds {
            guard let decoded = PercentDecoding.decodeOnce(current) else { return current }
            current = decoded
        }
        return nil
    }

    /// Whether the five bytes ending at `end` are `lb_k_` in any case.
    private static func hasKeyPrefix(_ bytes: ArraySlice<UInt8>, endingAt end: Int) -> Bool {
        let start = end - 4
        guard start >= bytes.startIndex, end < bytes.endIndex else { return false }
        return zip(bytes[start...end], "lb_k_".utf8).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "#")
            || byte == UInt8(ascii: ";")
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    /// The bytes as text, with anything outside printable ASCII percent-encoded.
    private static func printable(_ bytes: [UInt8]) -> String {
        guard !bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return String(decoding: bytes, as: UTF8.self) }
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in bytes {
            if (0x21...0x7E).contains(byte) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
