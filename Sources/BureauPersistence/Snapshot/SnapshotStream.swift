import BureauStore

extension SnapshotFile {
    /// Bytes of body encoded, and of compressed body read, per step of ``write(_:createdAt:compressionLevel:to:directory:fileSystem:permissions:chunkSize:)``
    /// and ``verify(_:file:fileSystem:against:chunkSize:)``.
    public static let defaultChunkSize = 256 * 1024

    /// Writes a snapshot of `records` to `path` atomically and durably, the same bytes as
    /// ``encode(_:createdAt:compressionLevel:)-(StateRecords,_,_)`` makes, without holding them: the body is
    /// encoded and compressed `chunkSize` bytes at a time straight into a temporary file beside `path`
    /// (after room for the header, which is written last, once the sizes and checksum are known), then the
    /// file is synced, renamed over `path`, and `directory` is synced. On failure the temporary file is
    /// removed and `path` is as it was.
    ///
    /// - Returns: the header written.
    public static func write(
        _ records: StateRecords,
        createdAt: Timestamp,
        compressionLevel: Int32 = defaultCompressionLevel,
        to path: String,
        directory: String,
        fileSystem: any FileSystem,
        permissions: UInt32,
        chunkSize: Int = defaultChunkSize
    ) throws(StorageError) -> SnapshotHeader {
        let name = StorageFileName.snapshot(records.sequence)
        let temporary = path + ".tmp"
        let header: SnapshotHeader
        do throws(StorageError) {
            let file = try attempt(fileSystem.open(temporary, .create(permissions: permissions)))
            do throws(StorageError) {
                try attempt(fileSystem.truncate(file, to: 0))
                header = try writeBody(
                    records,
                    createdAt: createdAt,
                    level: compressionLevel,
                    file: file,
                    name: name,
                    fileSystem: fileSystem,
                    chunkSize: chunkSize
                )
                try attempt(fileSystem.write(file, header.bytes, at: 0))
                try attempt(fileSystem.synchronize(file, metadata: true))
            } catch {
                fileSystem.close(file)
                throw error
            }
            fileSystem.close(file)
            try attempt(fileSystem.rename(temporary, to: path))
        } catch {
            try? fileSystem.remove(temporary)
            throw error
        }
        try attempt(fileSystem.synchronizeDirectory(directory))
        return header
    }

    /// Encodes, compresses and writes the body after the header's room; returns the header describing it.
    private static func writeBody(
        _ records: StateRecords,
        createdAt: Timestamp,
        level: Int32,
        file: FileDescriptor,
        name: String,
        fileSystem: any FileSystem,
        chunkSize: Int
    ) throws(StorageError) -> SnapshotHeader {
        func zlib<Value>(_ body: () throws(Zlib.Failure) -> Value) throws(StorageError) -> Value {
            do throws(Zlib.Failure) {
                return try body()
            } catch {
                throw .corruptSnapshot(file: name, reason: error.description)
            }
        }
        let deflater = try zlib { () throws(Zlib.Failure) in try Zlib.Deflater(level: level, outputChunk: chunkSize) }
        let start = Int64(SnapshotHeader.size(of: SnapshotHeader.currentVersion))
        var offset = start
        var bodySize: UInt64 = 0
        var checksum: UInt32 = 0
        func put(_ compressed: [UInt8]) throws(StorageError) {
            guard !compressed.isEmpty else { return }
            checksum = CRC32.castagnoli.checksum(compressed, continuing: checksum)
            try attempt(fileSystem.write(file, compressed, at: offset))
            offset += Int64(compressed.count)
        }
        try StateCodec.encode(records, chunkSize: chunkSize) { (piece: [UInt8]) throws(StorageError) in
            bodySize += UInt64(piece.count)
            try put(try zlib { () throws(Zlib.Failure) in try deflater.compress(piece) })
        }
        try put(try zlib { () throws(Zlib.Failure) in try deflater.compress([], finish: true) })
        return SnapshotHeader(
            sequence: records.sequence,
            createdAt: createdAt,
            counts: records.counts,
            bodySize: bodySize,
            compressedSize: UInt64(offset - start),
            bodyChecksum: checksum
        )
    }

    /// Reads the snapshot file at `path` back and checks that it holds exactly `records`, without holding
    /// the file, its body or a second copy of the records: the body is read, checksummed and decompressed
    /// `chunkSize` bytes at a time, and each record is decoded and compared with the one of `records` at
    /// its place as soon as its bytes are there. Checks the header (its checksum, the sequence, the counts
    /// and the file's size), the body's checksum and size, every section's length and count, every record,
    /// and that nothing follows the end.
    ///
    /// - Parameter file: the name used in errors.
    /// - Returns: the file's header.
    /// - Throws: ``StorageError/corruptSnapshot(file:reason:)`` at the first difference.
    @discardableResult
    public static func verify(
        _ path: String,
        file: String,
        fileSystem: any FileSystem,
        against records: StateRecords,
        chunkSize: Int = defaultChunkSize
    ) throws(StorageError) -> SnapshotHeader {
        let descriptor = try attempt(fileSystem.open(path, .readOnly))
        defer { fileSystem.close(descriptor) }
        let size = try attempt(fileSystem.size(of: descriptor))
        var start = [UInt8](repeating: 0, count: Int(min(size, Int64(SnapshotHeader.size(of: SnapshotHeader.currentVersion)))))
        let read = try readFully(fileSystem, descriptor, into: &start, at: 0)
        start.removeSubrange(read...)
        let header: SnapshotHeader
        switch SnapshotHeader.parse(start) {
        case .success(let parsed): header = parsed
        case .failure(.unknownVersion(let version)): throw .unknownFormatVersion(file: file, version: version)
        case .failure(let problem): throw .corruptSnapshot(file: file, reason: problem.description)
        }
        guard UInt64(size - Int64(header.size)) == header.compressedSize else {
            throw .corruptSnapshot(file: file, reason: "the body has \(size - Int64(header.size)) bytes, the header says \(header.compressedSize)")
        }
        guard header.sequence == records.sequence else {
            throw .corruptSnapshot(file: file, reason: "header sequence \(header.sequence), \(records.sequence) expected")
        }
        guard header.counts == records.counts else {
            throw .corruptSnapshot(file: file, reason: "the header's counts (\(header.counts)) differ from the records' (\(records.counts))")
        }
        let source = try SnapshotBodySource(
            fileSystem: fileSystem,
            descriptor: descriptor,
            header: header,
            file: file,
            chunkSize: max(chunkSize, 64)
        )
        var body = StreamedBody(source: source, file: file)
        try body.check(against: records, bodySize: header.bodySize)
        return header
    }

    /// Reads `bytes.count` bytes at `offset` (fewer at the end of the file); returns how many were read.
    fileprivate static func readFully(
        _ fileSystem: any FileSystem,
        _ descriptor: FileDescriptor,
        into bytes: inout [UInt8],
        at offset: Int64
    ) throws(StorageError) -> Int {
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(FileSystemError) in
                    try fileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: offset + Int64(filled))
                }
            }.get(or: StorageError.fileSystem)
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}

extension Result where Failure == FileSystemError {
    /// The value, or the error made into another.
    fileprivate func get<Other: Error>(or wrap: (FileSystemError) -> Other) throws(Other) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw wrap(error)
        }
    }
}

/// The decompressed body of a snapshot file, one piece at a time: reads the compressed body a chunk at a
/// time, checksums it as it goes, and inflates it into pieces of at most a chunk. At the end of the
/// stream it checks the checksum, the body's size and that the compressed body ends exactly there.
private final class SnapshotBodySource {
    let fileSystem: any FileSystem
    let descriptor: FileDescriptor
    let header: SnapshotHeader
    let file: String
    let inflater: Zlib.Inflater
    var input: [UInt8]
    var inputRange = 0..<0
    var output: [UInt8]
    var offset: Int64
    var remaining: UInt64
    var checksum: UInt32 = 0
    var produced: UInt64 = 0
    var finished = false

    init(fileSystem: any FileSystem, descriptor: FileDescriptor, header: SnapshotHeader, file: String, chunkSize: Int) throws(StorageError) {
        self.fileSystem = fileSystem
        self.descriptor = descriptor
        self.header = header
        self.file = file
        do throws(Zlib.Failure) {
            inflater = try Zlib.Inflater()
        } catch {
            throw .corruptSnapshot(file: file, reason: error.description)
        }
        input = [UInt8](repeating: 0, count: chunkSize)
        output = [UInt8](repeating: 0, count: chunkSize)
        offset = Int64(header.size)
        remaining = header.compressedSize
    }

    func corrupt(_ reason: String) -> StorageError { .corruptSnapshot(file: file, reason: reason) }

    /// The next piece of the body, or `nil` after its end.
    func next() throws(StorageError) -> [UInt8]? {
        guard !finished else { return nil }
        while true {
            if inputRange.isEmpty, remaining > 0 {
                let wanted = Int(min(UInt64(input.count), remaining))
                var count = 0
                while count < wanted {
                    let read = try input.withUnsafeMutableBytes { buffer in
                        Result { () throws(FileSystemError) in
                            try fileSystem.read(
                                descriptor,
                                into: UnsafeMutableRawBufferPointer(rebasing: buffer[count..<wanted]),
                                at: offset + Int64(count)
                            )
                        }
                    }.get(or: StorageError.fileSystem)
                    guard read > 0 else { throw corrupt("the file ends before its body does") }
                    count += read
                }
                checksum = input.withUnsafeBytes { CRC32.castagnoli.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<count]), continuing: checksum) }
                offset += Int64(count)
                remaining -= UInt64(count)
                inputRange = 0..<count
            }
            let range = inputRange
            let step = input.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { target in
                    Result { () throws(Zlib.Failure) in
                        try inflater.inflate(UnsafeRawBufferPointer(rebasing: source[range]), into: target)
                    }
                }
            }
            let consumed: Int
            let count: Int
            switch step {
            case .success(let value):
                consumed = value.consumed
                count = value.produced
            case .failure(let error): throw corrupt(error.description)
            }
            inputRange = (range.lowerBound + consumed)..<range.upperBound
            produced += UInt64(count)
            guard produced <= header.bodySize else { throw corrupt("the body expands past the header's \(header.bodySize) bytes") }
            if inflater.ended {
                finished = true
                guard inputRange.isEmpty, remaining == 0 else { throw corrupt("bytes follow the end of the compressed body") }
                guard checksum == header.bodyChecksum else { throw corrupt("body checksum mismatch") }
                guard produced == header.bodySize else {
                    throw corrupt("the body has \(produced) bytes, the header says \(header.bodySize)")
                }
                return count > 0 ? Array(output[0..<count]) : nil
            }
            if count > 0 { return Array(output[0..<count]) }
            guard !inputRange.isEmpty || remaining > 0 else { throw corrupt("the compressed body ends early") }
        }
    }
}

/// A snapshot body read through a window of its bytes that ``SnapshotBodySource`` refills, checked
/// against the records it should hold.
private struct StreamedBody {
    let source: SnapshotBodySource
    let file: String
    /// Bytes of the body not yet released; `position` is the next one to read.
    var bytes: [UInt8] = []
    var position = 0
    /// Body offset of `bytes[0]`.
    var base = 0
    var ended = false

    init(source: SnapshotBodySource, file: String) {
        self.source = source
        self.file = file
    }

    /// Body offset of the next byte.
    var offset: Int { base + position }

    func corrupt(_ reason: String) -> StorageError { .corruptSnapshot(file: file, reason: reason) }

    /// Makes `count` bytes from `position` available; `false` when the body ends first.
    mutating func fill(_ count: Int) throws(StorageError) -> Bool {
        while bytes.count - position < count {
            guard !ended else { return false }
            if position > 0, position >= bytes.count / 2 {
                bytes.removeSubrange(0..<position)
                base += position
                position = 0
            }
            if let piece = try source.next() { bytes.append(contentsOf: piece) } else { ended = true }
        }
        return true
    }

    /// Runs `read` over the bytes from `position` (at most `limit` of them, as many as are there), then
    /// moves past what it read.
    mutating func read<Value>(limit: Int, _ read: (inout BinaryReader) throws(CodecError) -> Value) throws(StorageError) -> Value {
        _ = try fill(limit)
        var reader = BinaryReader(bytes, range: position..<min(bytes.count, position + limit))
        do throws(CodecError) {
            let value = try read(&reader)
            position = reader.position
            return value
        } catch {
            throw corrupt("body at offset \(offset): \(error)")
        }
    }

    /// Checks the whole body against `records`.
    mutating func check(against records: StateRecords, bodySize: UInt64) throws(StorageError) {
        let sequence = try read(limit: 10) { r throws(CodecError) in try r.readSequence() }
        guard sequence == records.sequence else { throw corrupt("body sequence \(sequence), \(records.sequence) expected") }
        var seen: Set<UInt8> = []
        while true {
            let tag = try read(limit: 1) { r throws(CodecError) in try r.readByte() }
            if tag == StateCodec.Section.end.rawValue { break }
            guard seen.insert(tag).inserted else { throw corrupt("section \(tag) appears twice") }
            let length = try read(limit: 8) { r throws(CodecError) in try r.readUInt64() }
            guard length <= bodySize - UInt64(offset) else { throw corrupt("section \(tag) is longer than the body") }
            let end = offset + Int(length)
            switch StateCodec.Section(rawValue: tag) {
            case .users: try compare("users", records.users, end: end) { r throws(CodecError) in try r.readUser() }
            case .apiKeys: try compare("api keys", records.apiKeys, end: end) { r throws(CodecError) in try r.readAPIKeyRecord() }
            case .desktops: try compare("desktops", records.desktops, end: end) { r throws(CodecError) in try r.readDesktop() }
            case .tasks: try compare("tasks", records.tasks, end: end) { r throws(CodecError) in try r.readMissionTask() }
            case .idempotency:
                try compare("idempotency", records.idempotency, end: end) { r throws(CodecError) in try r.readIdempotencyRecord() }
            case .activity:
                let (tasks, desktops) = (records.tasks, records.desktops)
                try compare("activity", records.activity, end: end) { r throws(CodecError) in
                    try r.readUserActivityRecord(tasks: tasks, desktops: desktops)
                }
            case .sessions: try compare("sessions", records.sessions, end: end) { r throws(CodecError) in try r.readSessionRecord() }
            case .keyUsage: try compare("key usage", records.keyUsage, end: end) { r throws(CodecError) in try r.readKeyUsageRecord() }
            case .end, nil:
                while offset < end {
                    guard try fill(1) else { throw corrupt("the body ends inside section \(tag)") }
                    position += min(bytes.count - position, end - offset)
                }
            }
            guard offset == end else { throw corrupt("section \(tag) ends at \(offset), its length says \(end)") }
        }
        let missing: [(StateCodec.Section, Bool)] = [
            (.users, records.users.isEmpty), (.apiKeys, records.apiKeys.isEmpty), (.desktops, records.desktops.isEmpty),
            (.tasks, records.tasks.isEmpty), (.idempotency, records.idempotency.isEmpty), (.activity, records.activity.isEmpty),
            (.sessions, records.sessions.isEmpty), (.keyUsage, records.keyUsage.isEmpty),
        ]
        for (section, isEmpty) in missing where !seen.contains(section.rawValue) && !isEmpty {
            throw corrupt("section \(section.rawValue) is missing")
        }
        guard try !fill(1) else { throw corrupt("bytes follow the end of the state") }
    }

    /// Checks that the section ending at body offset `end` holds exactly `expected`, record by record.
    mutating func compare<Record: Equatable>(
        _ kind: String,
        _ expected: [Record],
        end: Int,
        _ readRecord: (inout BinaryReader) throws(CodecError) -> Record
    ) throws(StorageError) {
        let count = try read(limit: min(10, end - offset)) { r throws(CodecError) in try r.readVarint() }
        guard count == UInt64(expected.count) else { throw corrupt("\(count) \(kind) records, \(expected.count) expected") }
        for index in expected.indices {
            // Every record is a struct: its length comes first, so its bytes can be gathered before it is read.
            let (prefix, length) = try read(limit: min(10, end - offset)) { r throws(CodecError) in
                let start = r.position
                let length = try r.readVarint()
                return (r.position - start, length)
            }
            position -= prefix
            guard length <= UInt64(end - offset - prefix) else { throw corrupt("\(kind) record \(index) runs past its section") }
            let size = prefix + Int(length)
            guard try fill(size) else { throw corrupt("the body ends inside \(kind) record \(index)") }
            let record = try read(limit: size, readRecord)
            guard record == expected[index] else { throw corrupt("\(kind) record \(index) differs from what was written") }
        }
    }
}
