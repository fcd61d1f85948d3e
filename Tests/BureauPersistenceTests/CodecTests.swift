import BureauPersistence
import BureauStore
import Foundation
import Testing

@Suite("Binary codec")
struct CodecTests {
    @Test("every mutation kind survives an encode/decode round trip")
    func mutationRoundTrips() throws {
        let mutations = Sample.everyKind()
        let types = Set(mutations.map { MutationCodec.encode($0).type })
        #expect(types == Set(MutationCodec.RecordType.allCases.map(\.rawValue)))
        for mutation in mutations {
            let (type, payload) = MutationCodec.encode(mutation)
            #expect(try MutationCodec.decode(type: type, payload) == mutation)
        }
    }

    @Test("a payload with fields appended by a later version still decodes")
    func trailingFieldsAreSkipped() throws {
        var w = BinaryWriter()
        w.structure { w in
            w.write(Sample.user(7).id.uuid)
            w.write(Sample.user(7).email)
            w.write(Sample.user(7).name)
            w.write(Sample.user(7).createdAt)
            w.write("a field of the future")
            w.writeVarint(123_456)
        }
        w.write("and a trailing top-level field")
        let decoded = try MutationCodec.decode(type: MutationCodec.RecordType.userCreated.rawValue, w.bytes)
        #expect(decoded == .userCreated(Sample.user(7)))
    }

    @Test("a key record written before keys could expire decodes with no expiry; one with an expiry has its own record type")
    func keyRecordsBeforeAndAfterExpiry() throws {
        let plain = Sample.key(1, of: 1)
        var w = BinaryWriter()
        // The layout of format 1 as it was: nine fields, nothing appended.
        w.structure { w in
            w.write(plain.id.uuid)
            w.write(plain.userID.uuid)
            w.write(plain.name)
            w.write(plain.lookupID)
            w.write(plain.secretHash)
            w.write(plain.lastFour)
            w.write(plain.createdAt)
            w.writeOptional(plain.lastUsedAt) { $0.write($1) }
            w.writeOptional(plain.revokedAt) { $0.write($1) }
        }
        #expect(MutationCodec.encode(.apiKeyCreated(plain)) == (MutationCodec.RecordType.apiKeyCreated.rawValue, w.bytes))
        let old = try MutationCodec.decode(type: MutationCodec.RecordType.apiKeyCreated.rawValue, w.bytes)
        #expect(old == .apiKeyCreated(plain))
        var expiring = plain
        expiring.expiresAt = Sample.time(99)
        let (type, payload) = MutationCodec.encode(.apiKeyCreated(expiring))
        #expect(type == MutationCodec.RecordType.apiKeyCreatedWithLifecycle.rawValue)
        #expect(try MutationCodec.decode(type: type, payload) == .apiKeyCreated(expiring))
    }

    @Test("a read key is written with the lifecycle fields and its own record type; an unknown scope code is refused")
    func keyScopes() throws {
        var reader = Sample.key(1, of: 1)
        reader.scope = .read
        let (type, payload) = MutationCodec.encode(.apiKeyCreated(reader))
        #expect(type == MutationCodec.RecordType.apiKeyCreatedWithLifecycle.rawValue)
        #expect(try MutationCodec.decode(type: type, payload) == .apiKeyCreated(reader))
        // The scope is the last byte of the record: any code but 0 and 1 is refused, not taken for full.
        for code: UInt8 in [2, 0x7F, 0xFF] {
            var hostile = payload
            hostile[hostile.count - 1] = code
            #expect(throws: CodecError.self) { try MutationCodec.decode(type: type, hostile) }
        }
    }

    @Test("an unknown record type is refused, not guessed")
    func unknownType() {
        #expect(throws: CodecError.unknownMutationType(200)) { try MutationCodec.decode(type: 200, [0]) }
    }

    @Test("a state survives an encode/decode round trip with identical indexes")
    func stateRoundTrip() throws {
        let state = try Sample.state(after: Sample.everyKind() + [.apiKeyCreated(Sample.key(3, of: 2))])
        let body = StateCodec.encode(state)
        let decoded = try StateCodec.decode(body).makeState()
        #expect(StateRecords(decoded) == StateRecords(state))
        #expect(StateCodec.encode(decoded) == body)
        // Every query answers the same: the indexes were rebuilt, not just the maps.
        for user in state.users.keys {
            #expect(decoded.activeKeys(of: user) == state.activeKeys(of: user))
            #expect(decoded.desktops(of: user, after: nil, limit: 100).items == state.desktops(of: user, after: nil, limit: 100).items)
            #expect(
                decoded.tasks(of: user, desktopID: nil, status: nil, before: nil, limit: 100).items
                    == state.tasks(of: user, desktopID: nil, status: nil, before: nil, limit: 100).items
            )
        }
        for key in state.apiKeys.values {
            #expect(decoded.activeKey(lookupID: key.lookupID) == state.activeKey(lookupID: key.lookupID))
            #expect(decoded.isRevokedKey(lookupID: key.lookupID) == state.isRevokedKey(lookupID: key.lookupID))
        }
        #expect(decoded.taskIDsByDesktop == state.taskIDsByDesktop)
    }

    @Test("the state encoding is canonical: the same state gives the same bytes")
    func canonicalEncoding() throws {
        let mutations = Sample.everyKind()
        let first = try Sample.state(after: mutations)
        let second = try Sample.state(after: mutations)
        #expect(StateCodec.encode(first) == StateCodec.encode(second))
    }

    @Test("an unknown section of a later version is skipped")
    func unknownSectionSkipped() throws {
        let state = try Sample.state(after: Sample.everyKind())
        var body = StateCodec.encode(state)
        // Insert a section with tag 99 before the end tag.
        var extra = BinaryWriter()
        extra.write(UInt8(99))
        extra.write(UInt64(3))
        extra.writeRaw([1, 2, 3])
        body.insert(contentsOf: extra.bytes, at: body.count - 1)
        #expect(StateRecords(try StateCodec.decode(body).makeState()) == StateRecords(state))
    }

    @Test("varints: boundaries round-trip and overlong ones are refused")
    func varints() throws {
        for value: UInt64 in [0, 1, 127, 128, 300, UInt64(UInt32.max), UInt64.max - 1, UInt64.max] {
            var w = BinaryWriter()
            w.writeVarint(value)
            var r = BinaryReader(w.bytes)
            #expect(try r.readVarint() == value)
            #expect(r.isAtEnd)
        }
        for value: Int64 in [0, -1, 1, Int64.min, Int64.max] {
            var w = BinaryWriter()
            w.writeSignedVarint(value)
            var r = BinaryReader(w.bytes)
            #expect(try r.readSignedVarint() == value)
        }
        var overlong = BinaryReader([UInt8](repeating: 0xFF, count: 11))
        #expect(throws: CodecError.self) { try overlong.readVarint() }
        var overflow = BinaryReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        #expect(throws: CodecError.self) { try overflow.readVarint() }
    }

    @Test("a count larger than the bytes left is refused before allocating")
    func hugeCounts() {
        var w = BinaryWriter()
        w.writeVarint(UInt64(Int.max))
        #expect(throws: CodecError.self) {
            try MutationCodec.decode(type: MutationCodec.RecordType.apiKeysUsed.rawValue, w.bytes)
        }
        var s = BinaryWriter()
        s.writeVarint(1)
        s.write(UInt8(4))
        s.write(UInt64.max)
        #expect(throws: CodecError.self) { try StateCodec.decode(s.bytes) }
    }

    @Test("invalid UTF-8 in a string is refused")
    func invalidUTF8() {
        var w = BinaryWriter()
        w.writeVarint(2)
        w.writeRaw([0xC3, 0x28])
        var r = BinaryReader(w.bytes)
        #expect(throws: CodecError.self) { try r.readString() }
    }

    @Test("zlib round trip, and a lying size is refused")
    func zlib() throws {
        let body = StateCodec.encode(try Sample.state(after: Sample.tasks(200)))
        let compressed = try Zlib.compress(body, level: 1)
        #expect(compressed.count < body.count)
        #expect(try Zlib.decompress(compressed[...], expectedSize: body.count) == body)
        #expect(throws: Zlib.Failure.self) { try Zlib.decompress(compressed[...], expectedSize: body.count - 1) }
        #expect(throws: Zlib.Failure.self) { try Zlib.decompress(compressed[...], expectedSize: body.count + 1) }
        #expect(throws: Zlib.Failure.self) { try Zlib.decompress(compressed[...], expectedSize: Int.max) }
    }

    @Test("a snapshot file round-trips and its header carries the counts")
    func snapshotFile() throws {
        let state = try Sample.state(after: Sample.everyKind())
        let (header, bytes) = try SnapshotFile.encode(state, createdAt: Sample.time(0))
        #expect(header.counts == RecordCounts(of: state))
        #expect(header.sequence == state.sequence)
        let (decodedHeader, decoded) = try SnapshotFile.decode(bytes, file: "x")
        #expect(decodedHeader == header)
        #expect(StateRecords(decoded) == StateRecords(state))
    }
}
