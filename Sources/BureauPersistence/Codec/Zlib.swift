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

extension Zlib {
    /// Compresses a body handed over in pieces into one zlib stream: the bytes are those ``Zlib/compress(_:level:)``
    /// makes of the pieces' concatenation, whatever the pieces' sizes (deflate never flushes between them).
    public final class Deflater {
        // zlib keeps a pointer back to its stream: it must never move, hence its own allocation.
        private let stream: UnsafeMutablePointer<z_stream>
        private var scratch: [UInt8]

        /// A deflater at `level` (0–9) with room for `outputChunk` bytes of output per step.
        public init(level: Int32, outputChunk: Int = 256 * 1024) throws(Failure) {
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            scratch = [UInt8](repeating: 0, count: max(outputChunk, 64))
            let code = deflateInit_(stream, level, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard code == Z_OK else {
                stream.deinitialize(count: 1)
                stream.deallocate()
                throw Failure(code: code, operation: "deflate init")
            }
        }

        deinit {
            deflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }

        /// Compresses `input`, returning the output zlib has ready (often none); with `finish`, `input` is
        /// the last piece and everything left is returned, the stream's end included.
        public func compress(_ input: UnsafeRawBufferPointer, finish: Bool = false) throws(Failure) -> [UInt8] {
            var output: [UInt8] = []
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(input.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                let (code, produced) = scratch.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let code = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    return (code, out.count - Int(stream.pointee.avail_out))
                }
                stream.pointee.next_out = nil
                guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else { throw Failure(code: code, operation: "compress") }
                output.append(contentsOf: scratch[0..<produced])
                if finish ? code == Z_STREAM_END : (produced < scratch.count && stream.pointee.avail_in == 0) { return output }
                guard produced > 0 || code != Z_BUF_ERROR else { throw Failure(code: code, operation: "compress (no progress)") }
            }
        }

        /// Compresses `input` (see ``compress(_:finish:)-(UnsafeRawBufferPointer,_)``).
        public func compress(_ input: [UInt8], finish: Bool = false) throws(Failure) -> [UInt8] {
            try input.withUnsafeBytes { buffer in Result { () throws(Failure) in try compress(buffer, finish: finish) } }.get()
        }
    }

    /// Decompresses one zlib stream a piece at a time, into output of bounded size: however far the data
    /// expands, no step produces more than the room it is given.
    public final class Inflater {
        private let stream: UnsafeMutablePointer<z_stream>
        /// Whether the stream's end has been reached.
        public private(set) var ended = false

        /// A fresh inflater.
        public init() throws(Failure) {
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            let code = inflateInit_(stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard code == Z_OK else {
                stream.deinitialize(count: 1)
                stream.deallocate()
                throw Failure(code: code, operation: "inflate init")
            }
        }

        deinit {
            inflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }

        /// Decompresses from `input` into `output` until either is used up or the stream ends; returns the
        /// bytes of `input` consumed and of `output` filled.
        public func inflate(
            _ input: UnsafeRawBufferPointer,
            into output: UnsafeMutableRawBufferPointer
        ) throws(Failure) -> (consumed: Int, produced: Int) {
            guard !ended else { return (0, 0) }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let code = CZlib.inflate(stream, Z_NO_FLUSH)
            let consumed = input.count - Int(stream.pointee.avail_in)
            let produced = output.count - Int(stream.pointee.avail_out)
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
            switch code {
            case Z_STREAM_END: ended = true
            case Z_OK, Z_BUF_ERROR: break
            default: throw Failure(code: code, operation: "decompress")
            }
            return (consumed, produced)
        }
    }
}
