import CZlib

/// zlib (RFC 1950) compression of snapshot bodies, through the system `libz`.
public enum Zlib {
    /// Why zlib refused.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// zlib's return code.
        public var code: Int32
        /// What was being done.
        public var operation: String
        public var description: String { "zlib \(operation) failed (code \(code))" }
    }

    /// The largest ratio zlib's deflate can reach (about 1032:1); a claimed size beyond it is a lie.
    public static let maximumRatio = 1032

    /// `bytes` compressed at `level` (0–9; 1 is fastest).
    public static func compress(_ bytes: [UInt8], level: Int32) throws(Failure) -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let code = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), level)
            }
        }
        guard code == Z_OK else { throw Failure(code: code, operation: "compress") }
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// Decompresses `bytes`, which must expand to exactly `expectedSize` bytes. The size is checked
    /// against ``maximumRatio`` before anything is allocated.
    public static func decompress(_ bytes: ArraySlice<UInt8>, expectedSize: Int) throws(Failure) -> [UInt8] {
        guard expectedSize >= 0, expectedSize / maximumRatio <= bytes.count else {
            throw Failure(code: Z_DATA_ERROR, operation: "decompress (claimed size out of range)")
        }
        var output = [UInt8](repeating: 0, count: max(expectedSize, 1))
        var produced = uLong(output.count)
        var consumed = uLong(bytes.count)
        let code = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                uncompress2(out.baseAddress, &produced, input.baseAddress, &consumed)
            }
        }
        guard code == Z_OK else { throw Failure(code: code, operation: "decompress") }
        guard Int(produced) == expectedSize, Int(consumed) == bytes.count else {
            throw Failure(code: Z_DATA_ERROR, operation: "decompress (size differs from the header)")
        }
        output.removeSubrange(expectedSize...)
        return output
    }
}
