import BureauPersistence
import BureauStore
import BureauTestSupport
import Foundation
import Testing

@Suite("Decoders under hostile bytes")
struct FuzzTests {
    /// Varints of extreme values: UInt64.max (also the zigzag of Int64.min), the zigzag of Int64.max,
    /// Int64.max and 2^63 unsigned, and one past the last valid time (zigzag).
    static let extremeVarints: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        {
            var writer = BinaryWriter(capacity: 10)
            writer.writeSignedVarint(Timestamp.validRange.upperBound + 1)
            return writer.bytes
        }(),
    ]

    /// `input` changed in one to four random ways: bit flips, cuts, inserted junk, overwritten lengths,
    /// extreme varints written over a field.
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1 where !bytes.isEmpty:
                bytes.removeSubrange(Int.random(in: 0..<bytes.count, using: &rng)...)
            case 2:
                let junk = (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes.insert(contentsOf: junk, at: Int.random(in: 0...bytes.count, using: &rng))
            case 3 where bytes.count >= 4:
                let at = Int.random(in: 0...(bytes.count - 4), using: &rng)
                let value = [UInt32.max, 0x7FFF_FFFF, 0, UInt32(bytes.count)].randomElement(using: &rng)!
                for index in 0..<4 { bytes[at + index] = UInt8(truncatingIfNeeded: value >> UInt32(index * 8)) }
            case 4 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = [0x00, 0x7F, 0x80, 0xFF].randomElement(using: &rng)!
            case 5 where !bytes.isEmpty:
                let varint = extremeVarints.randomElement(using: &rng)!
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.replaceSubrange(at..<min(at + varint.count, bytes.count), with: varint)
            default:
                bytes.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
            }
        }
        return bytes
    }

    /// What the tools and the server do with a decoded state: snapshot it, export it as JSON, render
    /// every time it holds.
    static func consume(_ state: StoreState) throws {
        let records = StateRecords(state)
        _ = try SnapshotFile.encode(records, createdAt: Sample.time(0))
        _ = try JSONEncoder().encode(StateExport(records))
    }

    @Test("mutation payloads: thousands of mutated inputs never crash the decoder")
    func mutationDecoder() throws {
        var rng = SplitMix64(seed: 1)
        let encoded = Sample.everyKind().map(MutationCodec.encode)
        let base = try Sample.state(after: Sample.everyKind())
        var failures = 0
        for round in 0..<20_000 {
            let (type, payload) = encoded[round % encoded.count]
            let input = Self.mutate(payload, &rng)
            let chosenType = round % 7 == 0 ? UInt8.random(in: 0...12, using: &rng) : type
            do {
                // What decodes goes on to every consumer: the store applies it, snapshots and exports show it.
                let mutation = try MutationCodec.decode(type: chosenType, input)
                var state = base
                if (try? state.apply(mutation, sequence: state.sequence + 1)) != nil { try Self.consume(state) }
            } catch {
                failures += 1
            }
        }
        #expect(failures > 1000, "the mutations do reach the error paths")
    }

    @Test("random bytes through every decoder never crash")
    func randomBytes() {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? MutationCodec.decode(type: UInt8.random(in: 0...10, using: &rng), bytes)
            _ = try? StateCodec.decode(bytes)
            _ = try? SnapshotFile.decode(bytes, file: "fuzz")
            _ = SnapshotHeader.parse(bytes)
            _ = SegmentHeader.parse(bytes)
            _ = try? LogSegmentScan.scan(bytes, file: "fuzz", firstSequence: 1, isLast: true)
            _ = try? Zlib.decompress(bytes[...], expectedSize: Int.random(in: 0...100_000, using: &rng))
        }
    }

    @Test("state bodies: thousands of mutated inputs never crash the decoder")
    func stateDecoder() throws {
        var rng = SplitMix64(seed: 3)
        let body = StateCodec.encode(try Sample.state(after: Sample.everyKind()))
        var failures = 0
        for _ in 0..<5000 {
            do { try Self.consume(try StateCodec.decode(Self.mutate(body, &rng)).makeState()) } catch { failures += 1 }
        }
        #expect(failures > 500)
    }

    @Test("snapshot files: thousands of mutated inputs are refused, never crash")
    func snapshotDecoder() throws {
        var rng = SplitMix64(seed: 4)
        let (_, file) = try SnapshotFile.encode(try Sample.state(after: Sample.everyKind()), createdAt: Sample.time(0))
        var accepted = 0
        for _ in 0..<3000 {
            let input = Self.mutate(file, &rng)
            // What inspect prints of a header that parses.
            if case .success(let header) = SnapshotHeader.parse(input) {
                _ = SnapshotSummary(file: "fuzz", fileSize: input.count, header: header, bodyChecksumValid: false).description
            }
            if let (_, state) = try? SnapshotFile.decode(input, file: "fuzz") {
                accepted += 1
                try Self.consume(state)
            }
        }
        // Only mutations that leave the file unchanged in meaning (e.g. junk appended then cut) may pass.
        #expect(accepted < 30)
    }

    @Test("log segments: thousands of mutated inputs never crash the scanner")
    func segmentScanner() throws {
        var rng = SplitMix64(seed: 5)
        var segment = SegmentHeader(firstSequence: 1).bytes
        for (index, mutation) in Sample.everyKind().enumerated() { segment += RecordFrame.encode(mutation, sequence: UInt64(index + 1)) }
        var refused = 0
        for round in 0..<5000 {
            let input = Self.mutate(segment, &rng)
            do {
                let scan = try LogSegmentScan.scan(input, file: "fuzz", firstSequence: 1, isLast: round % 2 == 0)
                for record in scan.records { _ = try? MutationCodec.decode(type: record.type, input, range: record.payload) }
            } catch {
                refused += 1
            }
        }
        #expect(refused > 500)
    }
}
