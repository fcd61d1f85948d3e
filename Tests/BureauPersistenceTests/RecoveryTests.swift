import BureauPersistence
import BureauStore
import Foundation
import Testing

@Suite("Recovery and torn tails")
struct RecoveryTests {
    /// A data directory holding `mutations` in the log (one segment unless `segmentBytes` is small).
    static func writeLog(_ mutations: [Mutation], at path: String, segmentBytes: Int64 = 16 << 20) async throws {
        let harness = try StorageHarness.open(path, options: LogJournalOptions(segmentBytes: segmentBytes))
        try await harness.commit(mutations)
        try await harness.close()
    }

    static func recover(_ path: String) throws -> RecoveredState {
        let directory = try DataDirectory(path: path)
        defer { directory.unlock() }
        return try Recovery.recover(directory, logger: StorageHarness.logger)
    }

    static func segmentNames(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".seg") }.sorted()
    }

    @Test("an empty directory starts empty, is created 0700, and its files are 0600")
    func emptyDirectory() async throws {
        let temporary = TemporaryDirectory()
        let recovered = try Self.recover(temporary.dataPath)
        #expect(recovered.state == StoreState())
        try await Self.writeLog(Sample.everyKind(), at: temporary.dataPath)
        let fileSystem = POSIXFileSystem()
        #expect(try fileSystem.permissions(of: temporary.dataPath) == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: temporary.dataPath) {
            #expect(try fileSystem.permissions(of: temporary.dataPath + "/" + name) == 0o600, "\(name)")
        }
        #expect(try Self.recover(temporary.dataPath).state == Sample.state(after: Sample.everyKind()))
    }

    @Test("missing parent directories are created; only the data directory itself is private")
    func createsParents() throws {
        let temporary = TemporaryDirectory()
        let nested = temporary.path("parent/child/data")
        _ = try Self.recover(nested)
        let fileSystem = POSIXFileSystem()
        #expect(try fileSystem.permissions(of: nested) == 0o700)
        #expect(try fileSystem.permissions(of: temporary.path("parent/child")) == 0o755)
    }

    @Test("a directory with wider permissions is tightened to 0700")
    func tightensPermissions() throws {
        let temporary = TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: temporary.dataPath,
            withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o755]
        )
        _ = try Self.recover(temporary.dataPath)
        #expect(try POSIXFileSystem().permissions(of: temporary.dataPath) == 0o700)
    }

    @Test("a second opener of a locked directory is refused with the directory's name")
    func lock() throws {
        let temporary = TemporaryDirectory()
        let first = try DataDirectory(path: temporary.dataPath)
        #expect(throws: StorageError.directoryInUse(directory: temporary.dataPath)) {
            _ = try DataDirectory(path: temporary.dataPath, lockWait: .milliseconds(50))
        }
        #expect(StorageError.directoryInUse(directory: temporary.dataPath).description.contains(temporary.dataPath))
        first.unlock()
        _ = try DataDirectory(path: temporary.dataPath)
    }

    @Test("leftover temporary files are removed")
    func temporaryFilesRemoved() async throws {
        let temporary = TemporaryDirectory()
        try await Self.writeLog(Sample.everyKind(), at: temporary.dataPath)
        let leftover = temporary.dataPath + "/" + StorageFileName.snapshot(3) + ".tmp"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: leftover))
        _ = try Self.recover(temporary.dataPath)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test("the last record cut at every byte offset: earlier records kept, the tail set aside, the log continues")
    func lastRecordCutEverywhere() async throws {
        let mutations = Sample.everyKind()
        let source = TemporaryDirectory()
        try await Self.writeLog(mutations, at: source.dataPath)
        let name = try #require(try Self.segmentNames(source.dataPath).first)
        let bytes = try POSIXFileSystem().readFile(source.dataPath + "/" + name)
        let scan = try LogSegmentScan.scan(bytes, file: name, firstSequence: 1, isLast: true)
        let lastStart = try #require(scan.records.last?.offset)
        let before = try Sample.state(after: Array(mutations.dropLast()))
        for cut in lastStart..<bytes.count {
            let temporary = TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: temporary.dataPath, withIntermediateDirectories: false)
            try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: temporary.dataPath + "/" + name))
            let recovered = try Self.recover(temporary.dataPath)
            #expect(recovered.state == before, "cut at \(cut)")
            #expect(recovered.repairs.count == (cut > lastStart ? 1 : 0), "cut at \(cut)")
            if let repair = recovered.repairs.first {
                #expect(repair.offset == lastStart && repair.sequence == UInt64(mutations.count))
                let broken = try POSIXFileSystem().readFile(temporary.dataPath + "/" + repair.brokenFile)
                #expect(broken == Array(bytes[lastStart..<cut]))
            }
            if cut == lastStart + 1 || cut == bytes.count - 1 {
                try await Self.writeLog([mutations.last!], at: temporary.dataPath)
                #expect(try Self.recover(temporary.dataPath).state == Sample.state(after: mutations))
            }
        }
    }

    @Test("a segment cut inside its header is set aside whole")
    func cutInHeader() async throws {
        let temporary = TemporaryDirectory()
        try await Self.writeLog(Array(Sample.everyKind().prefix(3)), at: temporary.dataPath, segmentBytes: 120)
        let names = try Self.segmentNames(temporary.dataPath)
        #expect(names.count == 3)
        let lastPath = temporary.dataPath + "/" + names.last!
        for cut in [0, 1, 19] {
            let bytes = try POSIXFileSystem().readFile(lastPath)
            try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: lastPath))
            let recovered = try Self.recover(temporary.dataPath)
            #expect(recovered.state == (try Sample.state(after: Array(Sample.everyKind().prefix(2)))))
            #expect(!FileManager.default.fileExists(atPath: lastPath))
            try await Self.writeLog([Sample.everyKind()[2]], at: temporary.dataPath, segmentBytes: 120)
        }
    }

    @Test("a zeroed last sector is cut; earlier records stay")
    func zeroedSector() async throws {
        let mutations = Sample.tasks(30)
        let temporary = TemporaryDirectory()
        try await Self.writeLog(mutations, at: temporary.dataPath)
        let name = try #require(try Self.segmentNames(temporary.dataPath).first)
        let path = temporary.dataPath + "/" + name
        var bytes = try POSIXFileSystem().readFile(path)
        let scan = try LogSegmentScan.scan(bytes, file: name, firstSequence: 1, isLast: true)
        let sectorStart = (bytes.count - 1) / 512 * 512
        for index in sectorStart..<bytes.count { bytes[index] = 0 }
        bytes += [UInt8](repeating: 0, count: 512 - bytes.count % 512)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let intact = scan.records.filter { $0.end <= sectorStart }.count
        let recovered = try Self.recover(temporary.dataPath)
        #expect(recovered.state == (try Sample.state(after: Array(mutations.prefix(intact)))))
        #expect(recovered.repairs.count == 1)
        #expect(intact < mutations.count)
    }

    @Test("a huge length field at the tail is cut")
    func hugeLengthAtTail() async throws {
        let mutations = Sample.everyKind()
        let temporary = TemporaryDirectory()
        try await Self.writeLog(mutations, at: temporary.dataPath)
        let path = temporary.dataPath + "/" + (try Self.segmentNames(temporary.dataPath).first!)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([0xF0, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 16, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9]))
        handle.closeFile()
        let recovered = try Self.recover(temporary.dataPath)
        #expect(recovered.state == (try Sample.state(after: mutations)))
        #expect(recovered.repairs.first?.reason.contains("length") == true)
    }

    @Test("one flipped byte in the middle of a segment refuses to start, naming file, offset and sequence")
    func flippedByteMidSegment() async throws {
        let mutations = Sample.everyKind()
        let temporary = TemporaryDirectory()
        try await Self.writeLog(mutations, at: temporary.dataPath)
        let name = try Self.segmentNames(temporary.dataPath).first!
        let path = temporary.dataPath + "/" + name
        var bytes = try POSIXFileSystem().readFile(path)
        let record = try LogSegmentScan.scan(bytes, file: name, firstSequence: 1, isLast: true).records[6]
        bytes[record.payload.lowerBound + 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Self.recover(temporary.dataPath)
            Issue.record("recovery accepted a corrupt segment")
        } catch let error as StorageError {
            guard case .corruptSegment(let file, let offset, let sequence, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(file == name && offset == record.offset && sequence == 7)
            #expect(error.description.contains(name) && error.description.contains("\(record.offset)") && error.description.contains("sequence 7"))
        }
        #expect(try POSIXFileSystem().readFile(path) == bytes, "nothing was repaired")
    }

    @Test("damage at the end of a segment that is not the last refuses to start")
    func damageInEarlierSegment() async throws {
        let temporary = TemporaryDirectory()
        try await Self.writeLog(Sample.everyKind(), at: temporary.dataPath, segmentBytes: 200)
        let names = try Self.segmentNames(temporary.dataPath)
        #expect(names.count > 2)
        let path = temporary.dataPath + "/" + names[0]
        var bytes = try POSIXFileSystem().readFile(path)
        bytes[bytes.count - 1] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: StorageError.self) { _ = try Self.recover(temporary.dataPath) }
    }

    @Test("a missing segment (a gap in sequences) refuses to start")
    func sequenceGap() async throws {
        let temporary = TemporaryDirectory()
        try await Self.writeLog(Sample.everyKind(), at: temporary.dataPath, segmentBytes: 200)
        let names = try Self.segmentNames(temporary.dataPath)
        try FileManager.default.removeItem(atPath: temporary.dataPath + "/" + names[1])
        let error = #expect(throws: StorageError.self) { _ = try Self.recover(temporary.dataPath) }
        guard case .sequenceGap(let file, _, _, _) = error else {
            Issue.record("expected a sequence gap, got \(String(describing: error))")
            return
        }
        #expect(file == names[2])
    }

    @Test("a segment of a newer format version refuses to start")
    func newerSegmentVersion() async throws {
        let temporary = TemporaryDirectory()
        try await Self.writeLog(Sample.everyKind(), at: temporary.dataPath)
        let name = try Self.segmentNames(temporary.dataPath).first!
        let path = temporary.dataPath + "/" + name
        var bytes = try POSIXFileSystem().readFile(path)
        bytes.replaceSubrange(0..<SegmentHeader.size, with: SegmentHeader(firstSequence: 1, version: 2).bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: StorageError.unknownFormatVersion(file: name, version: 2)) { _ = try Self.recover(temporary.dataPath) }
    }

    @Test("segments roll at the configured size and replay in order")
    func rolling() async throws {
        let temporary = TemporaryDirectory()
        let mutations = Sample.tasks(100)
        try await Self.writeLog(mutations, at: temporary.dataPath, segmentBytes: 1024)
        let names = try Self.segmentNames(temporary.dataPath)
        #expect(names.count > 5)
        #expect(names.first == StorageFileName.segment(1))
        let recovered = try Self.recover(temporary.dataPath)
        #expect(recovered.state == (try Sample.state(after: mutations)))
        #expect(recovered.segments.map(\.name) == names)
    }
}
