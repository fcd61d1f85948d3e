import BureauAuth
import BureauPersistence
import BureauStore
import Foundation
import Testing

@Suite("Sessions on disk")
struct SessionPersistenceTests {
    /// The data directory a server wrote before sessions existed (format 1 snapshot at sequence 3, then
    /// one more log record), kept in `fixtures/`.
    static let formatOneFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fixtures/format1-data").standardized.path

    @Test("no session secret appears in any file of the data directory; its digest does")
    func noSecretOnDisk() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        let issuer = harness.issuer
        let kept = try await issuer.signIn(NewUser(email: "ada@example.com", name: "Ada"))
        let ended = try await issuer.signIn(NewUser(email: "ada@example.com"))
        _ = try await harness.snapshotter().write(harness.store.copyState())
        let verifier = SessionVerifier(store: harness.store, lifetime: .standard)
        #expect(verifier.verify(kept.secret.value) == .valid(userID: kept.user.id, sessionID: kept.session.id))
        try await verifier.flushAndPrune()
        try await issuer.end(ended.session.id)
        _ = try await harness.snapshotter().write(harness.store.copyState())
        try await harness.close()

        var filesWithDigest = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: temporary.dataPath) {
            var bytes = try POSIXFileSystem().readFile(temporary.dataPath + "/" + name)
            if name.hasSuffix(".snap") {
                let (header, _) = try SnapshotFile.decode(bytes, file: name)
                bytes += try Zlib.decompress(bytes[header.size...], expectedSize: Int(header.bodySize))
            }
            for secret in [kept.secret, ended.secret] {
                #expect(!PlaintextKeyTests.contains(bytes, Array(secret.value.utf8)), "\(name) holds a session secret")
                #expect(!PlaintextKeyTests.contains(bytes, Array(secret.value.utf8.prefix(16))), "\(name) holds part of a secret")
            }
            if PlaintextKeyTests.contains(bytes, kept.secret.digest.bytes) { filesWithDigest += 1 }
        }
        #expect(filesWithDigest >= 2, "the digest is in the log and the snapshots, so the search does look at the records")
    }

    @Test("sessions survive a restart, from the log and from a snapshot; ended and pruned ones stay gone")
    func survivesRestart() async throws {
        let temporary = TemporaryDirectory()
        var harness = try StorageHarness.open(temporary.dataPath)
        let first = try await harness.issuer.signIn(NewUser(email: "Ada@Example.com"))
        let ended = try await harness.issuer.signIn(NewUser(email: "ada@example.com"))
        try await harness.issuer.end(ended.session.id)
        try await harness.close()

        harness = try StorageHarness.open(temporary.dataPath)
        #expect(harness.recovered.snapshot == nil, "replayed from the log alone")
        #expect(harness.store.read { $0.session(digest: first.secret.digest) } == first.session)
        #expect(harness.store.read { $0.session(digest: ended.secret.digest) } == nil)
        #expect(harness.store.read { $0.users.count } == 1, "the second login found the user case-insensitively")
        let verifier = SessionVerifier(store: harness.store, lifetime: .standard)
        #expect(verifier.verify(first.secret.value) == .valid(userID: first.user.id, sessionID: first.session.id))
        #expect(verifier.verify(ended.secret.value) == .invalid)
        _ = try await harness.snapshotter().write(harness.store.copyState())
        try await harness.close()

        harness = try StorageHarness.open(temporary.dataPath)
        #expect(harness.recovered.snapshot?.counts.sessions == 1)
        #expect(harness.store.read { $0.session(digest: first.secret.digest) }?.id == first.session.id)
        try await harness.close()
    }

    @Test("a data directory written before sessions existed loads, then takes sessions")
    func formatOneDirectoryLoads() async throws {
        let temporary = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: temporary.dataPath, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.formatOneFixture) {
            let target = temporary.dataPath + "/" + name
            try FileManager.default.copyItem(atPath: Self.formatOneFixture + "/" + name, toPath: target)
            // A checkout does not keep the 0600 the server gave them.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
        }
        let snapshot = temporary.dataPath + "/" + StorageFileName.snapshot(3)
        let summary = try StorageTools.inspectSnapshot(at: snapshot)
        #expect(summary.header.version == 1 && summary.header.size == 96 && summary.header.counts.sessions == 0)
        #expect(try StorageTools.verifySnapshot(at: snapshot).bodyChecksumValid)

        var harness = try StorageHarness.open(temporary.dataPath)
        #expect(harness.recovered.snapshot?.sequence == 3)
        #expect(harness.recovered.state.sequence == 4, "one log record after the snapshot")
        #expect(harness.store.read { ($0.users.count, $0.apiKeys.count, $0.desktops.count, $0.sessions.count) } == (1, 1, 2, 0))
        let user = try #require(harness.store.read { $0.user(email: "old@bureau.test") })
        let started = try await harness.issuer.signIn(NewUser(email: "OLD@bureau.test"))
        #expect(started.user.id == user.id)
        _ = try await harness.snapshotter().write(harness.store.copyState())
        try await harness.close()

        harness = try StorageHarness.open(temporary.dataPath)
        #expect(harness.recovered.snapshot?.version == SnapshotHeader.currentVersion)
        #expect(harness.store.read { $0.session(digest: started.secret.digest) }?.userID == user.id)
        try await harness.close()
    }

    @Test("a format 1 snapshot header (no sessions count) is still read")
    func formatOneHeader() throws {
        let state = try Sample.state(after: Array(Sample.everyKind().prefix(15)))
        let (current, bytes) = try SnapshotFile.encode(state, createdAt: Sample.time(0))
        var old = current
        old.version = 1
        let oldBytes = old.bytes + bytes[current.size...]
        #expect(old.bytes.count == 96 && current.bytes.count == 104)
        let (header, decoded) = try SnapshotFile.decode(Array(oldBytes), file: "old.snap")
        #expect(header.version == 1)
        #expect(StateRecords(decoded) == StateRecords(state))
    }

    @Test("inspect counts sessions; export lists them by digest; the state digest of a round trip covers them")
    func toolsSeeSessions() async throws {
        let temporary = TemporaryDirectory()
        let harness = try StorageHarness.open(temporary.dataPath)
        try await harness.commit(Sample.everyKind())
        let outcome = try #require(try await harness.snapshotter().write(harness.store.copyState()))
        try await harness.close()
        let path = temporary.dataPath + "/" + outcome.file

        let summary = try StorageTools.inspectSnapshot(at: path)
        #expect(summary.header.counts.sessions == 1)
        #expect(summary.description.contains("sessions: 1"))
        let json = try StorageTools.exportSnapshot(at: path)
        let text = String(decoding: json, as: UTF8.self)
        let live = Sample.session(1, of: 1, at: 16)
        #expect(text.contains("\"digest\" : \"\(live.digest.description)\""))
        #expect(text.contains("\"lastSeenAt\" : \"\(Sample.time(18).rfc3339)\""), "the batched use was applied")
        let export = try JSONDecoder().decode(StateExport.self, from: json)
        #expect(export.sessions?.map(\.id) == [live.id])

        // The records compared by round-trip tests include the sessions, and a restored state finds them.
        let original = try Sample.state(after: Sample.everyKind())
        let restored = try export.records.makeState()
        #expect(StateRecords(restored) == StateRecords(original))
        #expect(StateRecords(restored).sessions == [live.with(lastSeenAt: Sample.time(18))])
        #expect(restored.session(digest: live.digest)?.id == live.id)
    }
}

extension SessionRecord {
    /// This record with another `lastSeenAt`.
    fileprivate func with(lastSeenAt time: Timestamp) -> SessionRecord {
        var copy = self
        copy.lastSeenAt = time
        return copy
    }
}
