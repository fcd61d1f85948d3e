import BureauStore
import Hummingbird
import NIOCore

/// A JSON object request body, read within the size limit, with checked accessors that collect every
/// problem so a 400 lists all offending fields at once. Unknown fields are ignored.
struct JSONRequestBody {
    /// The raw bytes, for idempotency digests.
    let bytes: [UInt8]
    private let fields: [String: JSONValue]
    private(set) var errors: [APIError.FieldError] = []

    /// Reads and parses the body of `request`; 413 past `limit` bytes, 400 for anything but a JSON object.
    static func read(_ request: Request, limit: Int) async throws -> JSONRequestBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge
        }
        let bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { throw APIError.invalidField("body", "a JSON object is required") }
        let value: JSONValue
        do throws(JSONParser.Failure) {
            value = try JSONParser.parse(bytes)
        } catch {
            throw APIError(.badRequest, code: "malformed_json", detail: "The request body is not valid JSON: \(error).")
        }
        guard case .object(let fields) = value else {
            throw APIError.invalidField("body", "must be a JSON object, not \(value.typeName)")
        }
        return JSONRequestBody(bytes: bytes, fields: fields)
    }

    /// A string field as sent, `nil` when absent. Any other JSON type, `null` included, is recorded as a
    /// problem naming the field (an explicit `null` is not taken as "absent"): the domain's rules then judge
    /// the value (``InputRules``).
    mutating func string(_ name: String) -> String? {
        switch fields[name] {
        case nil:
            return nil
        case .string(let value)?:
            return value
        case let other?:
            fail(name, "must be a string, not \(other.typeName)")
            return nil
        }
    }

    /// An array of strings as sent, `nil` when absent; anything else is recorded as a problem naming the field.
    mutating func strings(_ name: String) -> [String]? {
        switch fields[name] {
        case nil:
            return nil
        case .array(let values)?:
            var strings: [String] = []
            for value in values {
                guard case .string(let string) = value else {
                    fail(name, "must be an array of strings")
                    return nil
                }
                strings.append(string)
            }
            return strings
        case let other?:
            fail(name, "must be an array of strings, not \(other.typeName)")
            return nil
        }
    }

    /// An integer field as sent, `nil` when absent. A number with a fraction, out of `Int`'s range, or any
    /// other JSON type is recorded as a problem naming the field.
    mutating func integer(_ name: String) -> Int? {
        switch fields[name] {
        case nil:
            return nil
        case .number(let value)?:
            guard value.rounded() == value, abs(value) < 9.0e15 else {
                fail(name, "must be an integer")
                return nil
            }
            return Int(value)
        case let other?:
            fail(name, "must be an integer, not \(other.typeName)")
            return nil
        }
    }

    /// Records a problem with a field found by the caller.
    mutating func fail(_ name: String, _ message: String) {
        errors.append(APIError.FieldError(field: name, message: message))
    }

    /// Throws the 400 listing every problem found: those of the body's JSON types, then the domain's
    /// `problems` (``OperationInput/problems``) of fields that had none, if any at all.
    func throwIfInvalid(adding problems: [FieldProblem] = []) throws {
        let reported = Set(errors.map(\.field))
        let all = errors + problems.filter { !reported.contains($0.field) }.map { APIError.FieldError(field: $0.field, message: $0.message) }
        if !all.isEmpty { throw APIError.invalidFields(all) }
    }
}
