import BureauAuth
import BureauPersistence
import BureauStore
import Foundation
import Testing

@Suite("Secrets on disk")
struct PlaintextKeyTests {
    @Test("no plaintext API key appears in any file of the data directory")
    func noPlaintextOnDisk() async throws {
        let temporary = TemporaryDirectory()
        let key = APIKeyFormat.generate()
        let hash = try await APIKeyHasher(cost: 4).hash(key)
        #expect(try await APIKeyHasher(cost: 4).verify(key, hash: hash))
        let record = APIKeyRecord(
            id: APIKeyID(uuid: Sample.uuid(2, 77)),
            userID: Sample.user(1).id,
            name: "ci",
            lookupID: key.lookupID,
            secretHash: hash,
            lastFour: key.lastFour,
            createdAt: Sample.time(1)
        )
        let harness = try StorageHarness.open(temporary.dataPath)
        try await harness.commit([.userCreated(Sample.user(1)), .apiKeyCreated(record)])
        _ = try await harness.snapshotter().write(harness.store.copyState())
        try await harness.commit(.apiKeyRevoked(APIKeyRevocation(id: record.id, at: Sample.time(2))))
        try await harness.close()
        // A torn tail makes a `.broken` file: it must hold no secret either.
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: temporary.dataPath).first { $0.hasSuffix(".seg") })
        let handle = try #require(FileHandle(forWritingAtPath: temporary.dataPath + "/" + segment))
        handle.seekToEndOfFile()
        handle.write(Data([7, 7, 7]))
        handle.closeFile()
        _ = try StorageHarness.open(temporary.dataPath)

        let plaintext = Array(key.plaintext.utf8)
        let secret = Array(
            key.plaintext.utf8.dropFirst(APIKeyFormat.prefix.utf8.count + APIKeyFormat.lookupIDLength).prefix(APIKeyFormat.secretLength)
        )
        let hashBytes = Array(hash.utf8)
        var filesWithHash = 0
        var files = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: temporary.dataPath) {
            var bytes = try POSIXFileSystem().readFile(temporary.dataPath + "/" + name)
            if name.hasSuffix(".snap") {
                // Look inside the compressed body too.
                let (header, _) = try SnapshotFile.decode(bytes, file: name)
                bytes += try Zlib.decompress(bytes[header.size...], expectedSize: Int(header.bodySize))
            }
            files += 1
            #expect(!Self.contains(bytes, plaintext), "\(name) holds the plaintext key")
            #expect(!Self.contains(bytes, secret), "\(name) holds the key's secret part")
            if Self.contains(bytes, hashBytes) { filesWithHash += 1 }
        }
        #expect(files >= 4, "lock, segment, snapshot, broken tail")
        #expect(filesWithHash >= 2, "the hash is stored in the log and the snapshot, so the search does look at the record")
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
