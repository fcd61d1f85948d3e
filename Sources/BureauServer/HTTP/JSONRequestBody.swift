import Foundation
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
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw APIError(.badRequest, code: "malformed_json", detail: "The request body is not valid JSON.")
        }
        guard case .object(let fields) = value else {
            throw APIError.invalidField("body", "must be a JSON object, not \(value.typeName)")
        }
        return JSONRequestBody(bytes: bytes, fields: fields)
    }

    /// `true` when the body has this field (even `null`).
    func has(_ name: String) -> Bool { fields[name] != nil }

    /// A string field, whitespace-trimmed if asked, whose length in characters must lie in `length`.
    mutating func string(_ name: String, required: Bool, trimmed: Bool = false, length: ClosedRange<Int>) -> String? {
        switch fields[name] {
        case nil, .null?:
            if required { fail(name, "is required") }
            return nil
        case .string(let raw)?:
            let value = trimmed ? raw.trimmingCharacters(in: .whitespacesAndNewlines) : raw
            let count = value.count
            if count < length.lowerBound {
                fail(name, length.lowerBound == 1 ? "must not be empty" : "must be at least \(length.lowerBound) characters")
                return nil
            }
            if count > length.upperBound {
                fail(name, "must be at most \(length.upperBound) characters")
                return nil
            }
            return value
        case let other?:
            fail(name, "must be a string, not \(other.typeName)")
            return nil
        }
    }

    /// A string field that must be one of an enumeration's raw values.
    mutating func enumeration<Value: RawRepresentable & CaseIterable>(_ name: String, required: Bool) -> Value?
    where Value.RawValue == String {
        switch fields[name] {
        case nil, .null?:
            if required { fail(name, "is required") }
            return nil
        case .string(let raw)?:
            if let value = Value(rawValue: raw) { return value }
            fail(name, "must be one of: " + Value.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        case let other?:
            fail(name, "must be a string, not \(other.typeName)")
            return nil
        }
    }

    /// Records a problem with a field found by the caller.
    mutating func fail(_ name: String, _ message: String) {
        errors.append(APIError.FieldError(field: name, message: message))
    }

    /// Throws the 400 listing every problem found, if any.
    func throwIfInvalid() throws {
        if !errors.isEmpty { throw APIError.invalidFields(errors) }
    }
}
