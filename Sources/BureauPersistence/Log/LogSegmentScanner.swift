/// Reads a whole log segment, checking its header, every record's checksum and the sequences, and
/// tells a repairable torn tail from corruption.
///
/// Only the end of the *last* segment may be damaged by a crash (a short record, a length past the end
/// of the file, a zeroed sector, a bad checksum): that is a tear when no valid record follows the damage.
/// Damage followed by a valid record, damage in any other segment, or an intact record with the wrong
/// sequence is corruption, and nothing is guessed.
public struct LogSegmentScan: Sendable {
    /// The segment's header, `nil` when the whole file is a torn tail (it never got a full header).
    public var header: SegmentHeader?
    /// The intact records, in order.
    public var records: [RecordFrame.Record]
    /// Where the intact part ends (the file size when there is no tear).
    public var validEnd: Int
    /// The torn tail, if any: where it starts and why.
    public var tear: Tear?

    /// A torn tail of the last segment.
    public struct Tear: Sendable, Hashable {
        /// Offset of the first damaged byte.
        public var offset: Int
        /// The sequence the damaged record would have had.
        public var sequence: UInt64
        /// What is wrong there.
        public var reason: String
    }

    /// The sequence of the last intact record.
    public var lastSequence: UInt64? { records.last?.sequence }

    /// Scans `bytes`, the content of the segment file `file` whose name says it starts at `firstSequence`.
    ///
    /// - Parameter isLast: whether this is the newest segment (the only one whose tail may be torn).
    public static func scan(_ bytes: [UInt8], file: String, firstSequence: UInt64, isLast: Bool) throws(StorageError) -> LogSegmentScan {
        try checkFirstSequence(firstSequence, file: file)
        let header: SegmentHeader
        switch SegmentHeader.parse(bytes) {
        case .success(let parsed):
            header = parsed
        case .failure(.unknownVersion(let version)):
            throw .unknownFormatVersion(file: file, version: version)
        case .failure(let problem):
            if isLast, validRecord(in: bytes, after: -1, minimumSequence: firstSequence) == nil {
                return LogSegmentScan(
                    header: nil,
                    records: [],
                    validEnd: 0,
                    tear: Tear(offset: 0, sequence: firstSequence, reason: problem.description)
                )
            }
            throw .corruptSegment(file: file, offset: 0, sequence: firstSequence, reason: problem.description)
        }
        guard header.firstSequence == firstSequence else {
            throw .corruptSegment(
                file: file,
                offset: 0,
                sequence: firstSequence,
                reason: "header says the first sequence is \(header.firstSequence), the name says \(firstSequence)"
            )
        }
        var scan = LogSegmentScan(header: header, records: [], validEnd: bytes.count, tear: nil)
        var offset = SegmentHeader.size
        var expected = firstSequence
        while offset < bytes.count {
            switch RecordFrame.read(bytes, at: offset, end: bytes.count) {
            case .success(let record):
                guard record.sequence == expected else {
                    throw .sequenceGap(file: file, offset: offset, expected: expected, found: record.sequence)
                }
                if let problem = StoredLimits.problem(sequence: record.sequence) {
                    throw .corruptSegment(file: file, offset: offset, sequence: expected, reason: "record \(problem)")
                }
                scan.records.append(record)
                offset = record.end
                expected += 1
            case .failure(let damage):
                if let next = validRecord(in: bytes, after: offset, minimumSequence: expected) {
                    throw .corruptSegment(
                        file: file,
                        offset: offset,
                        sequence: expected,
                        reason: "\(damage), and an intact record follows at byte \(next)"
                    )
                }
                guard isLast else { throw .corruptSegment(file: file, offset: offset, sequence: expected, reason: damage.description) }
                scan.validEnd = offset
                scan.tear = Tear(offset: offset, sequence: expected, reason: damage.description)
                return scan
            }
        }
        return scan
    }

    /// Refuses a segment whose name says it starts at a sequence outside ``StoredLimits/segmentFirstSequences``.
    static func checkFirstSequence(_ firstSequence: UInt64, file: String) throws(StorageError) {
        guard StoredLimits.segmentFirstSequences.contains(firstSequence) else {
            throw .corruptSegment(
                file: file,
                offset: 0,
                sequence: firstSequence,
                reason: "first sequence \(firstSequence) is outside \(StoredLimits.segmentFirstSequences)"
            )
        }
    }

    /// The offset of an intact record starting after `offset` whose sequence is at least `minimumSequence`
    /// (and no further from it than the bytes could hold), if there is one.
    static func validRecord(in bytes: [UInt8], after offset: Int, minimumSequence: UInt64) -> Int? {
        let end = bytes.count
        var position = max(offset + 1, 0)
        let room = UInt64(max(0, end - position) / RecordFrame.headerSize)
        return bytes.withUnsafeBytes { raw -> Int? in
            while position + RecordFrame.headerSize <= end {
                defer { position += 1 }
                let length = Int(raw.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian)
                guard length <= end - position - RecordFrame.headerSize else { continue }
                let sequence = raw.loadUnaligned(fromByteOffset: position + 8, as: UInt64.self).littleEndian
                guard sequence >= minimumSequence, sequence - minimumSequence <= room else { continue }
                if case .success = RecordFrame.read(bytes, at: position, end: end) { return position }
            }
            return nil
        }
    }
}
