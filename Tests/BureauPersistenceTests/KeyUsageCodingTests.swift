import BureauPersistence
import BureauStore
import Foundation
import Testing

@Suite("Key usage on disk")
struct KeyUsageCodingTests {
    @Test("an api_key.used record written before usage was counted decodes with no requests and no client")
    func olderUseRecord() throws {
        let id = APIKeyID.random()
        var w = BinaryWriter()
        w.writeVarint(1)
        w.structure { w in
            w.write(id.uuid)
            w.write(Sample.time(5))
        }
        let decoded = try MutationCodec.decode(type: MutationCodec.RecordType.apiKeysUsed.rawValue, w.bytes)
        #expect(decoded == .apiKeysUsed([APIKeyUse(id: id, at: Sample.time(5))]))
    }

    @Test("a record with requests and a client round-trips; a version that predates them reads its first fields")
    func newerUseRecord() throws {
        let use = APIKeyUse(
            id: .random(),
            at: Sample.time(5),
            requests: [DailyRequests(day: UsageDay(number: 20_000), count: 9)],
            client: "192.0.2.1"
        )
        let (type, payload) = MutationCodec.encode(.apiKeysUsed([use]))
        #expect(try MutationCodec.decode(type: type, payload) == .apiKeysUsed([use]))
        // What an older reader does: the id and the time, then the rest of the struct skipped.
        var r = BinaryReader(payload)
        #expect(try r.readCount() == 1)
        let old = try r.structure { r throws(CodecError) in (try r.readUUID(), try r.readTimestamp()) }
        #expect(old.0 == use.id.uuid && old.1 == use.at && r.isAtEnd)
    }

    @Test("crafted usage is refused: a client address past 64 bytes, a day or count past 32 bits, a usage of an unknown key")
    func craftedUsage() throws {
        func useRecord(_ fill: (inout BinaryWriter) -> Void) -> [UInt8] {
            var w = BinaryWriter()
            w.writeVarint(1)
            w.structure { w in
                w.write(UUID())
                w.write(Sample.time(5))
                fill(&w)
            }
            return w.bytes
        }
        let longAddress = useRecord { w in
            w.writeVarint(0)
            w.writeOptional(String(repeating: "a", count: 65)) { $0.write($1) }
        }
        let hugeCount = useRecord { w in
            w.writeVarint(1)
            w.writeSignedVarint(20_000)
            w.writeVarint(UInt64(UInt32.max) + 1)
            w.writeOptional(String?.none) { $0.write($1) }
        }
        let hugeDay = useRecord { w in
            w.writeVarint(1)
            w.writeSignedVarint(Int64(Int32.max) + 1)
            w.writeVarint(1)
            w.writeOptional(String?.none) { $0.write($1) }
        }
        for bytes in [longAddress, hugeCount, hugeDay] {
            #expect(throws: CodecError.self) { try MutationCodec.decode(type: MutationCodec.RecordType.apiKeysUsed.rawValue, bytes) }
        }
        var records = StateRecords(try Sample.state(after: Sample.everyKind()))
        #expect(!records.keyUsage.isEmpty)
        records.keyUsage.append(KeyUsageRecord(keyID: .random(), requests: [], lastClientAddress: "192.0.2.1", lastClientAt: Sample.time(1)))
        #expect(throws: InconsistentState.self) { try records.makeState() }
        records.keyUsage.removeLast()
        records.keyUsage.append(records.keyUsage[0])
        #expect(throws: InconsistentState.self) { try records.makeState() }
    }

    @Test("a snapshot keeps each key's usage; the export shows it with dates")
    func snapshotAndExport() throws {
        let state = try Sample.state(after: Sample.everyKind())
        let usage = try #require(state.keyUsage[APIKeyID(uuid: Sample.uuid(2, 1))])
        #expect(usage.lastClientAddress == "2001:db8::7")
        #expect(usage.requests.map(\.count) == [3, 70_000])
        let decoded = try StateCodec.decode(StateCodec.encode(state)).makeState()
        #expect(decoded.keyUsage == state.keyUsage)
        let encoder = JSONEncoder()
        let json = String(decoding: try encoder.encode(StateExport(StateRecords(state))), as: UTF8.self)
        #expect(json.contains("\"keyUsage\""))
        #expect(json.contains(UsageDay(Sample.time(32)).description))
        let back = try JSONDecoder().decode(StateExport.self, from: Data(json.utf8))
        #expect(try back.records.makeState().keyUsage == state.keyUsage)
    }
}
