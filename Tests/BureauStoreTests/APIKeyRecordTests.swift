import BureauStore
import Foundation
import Testing

/// The packed record must behave exactly like the struct of plain fields it replaced.
@Suite("APIKeyRecord")
struct APIKeyRecordTests {
    static let hash = "$2b$04$abcdefghijklmnopqrstuu5Zb1x9qK1vJ0n3cHq4m8S1eW0yZ9yDa"

    static func record(
        name: String = "deploy bot",
        lookupID: String = "AbCdEfGh1234",
        secretHash: String = hash,
        lastFour: String = "9f3a",
        lastUsedAt: Timestamp? = nil,
        revokedAt: Timestamp? = nil
    ) -> APIKeyRecord {
        APIKeyRecord(
            id: APIKeyID(uuid: UUID(uuidString: "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0")!),
            userID: UserID(uuid: UUID(uuidString: "FFEEDDCC-BBAA-9988-7766-554433221100")!),
            name: name,
            lookupID: lookupID,
            secretHash: secretHash,
            lastFour: lastFour,
            createdAt: Timestamp(millisecondsSinceEpoch: 1_795_341_600_123),
            lastUsedAt: lastUsedAt,
            revokedAt: revokedAt
        )
    }

    @Test(
        "every field reads back as given, for strings of every length class and timestamps at the extremes",
        arguments: [
            ("", "", "", ""),
            ("deploy bot", "AbCdEfGh1234", hash, "9f3a"),
            ("clé de déploiement 🚀", "l", String(repeating: "h", count: 127), "é"),
            (String(repeating: "n", count: 128), String(repeating: "L", count: 300), String(repeating: "x", count: 20_000), "abcd"),
        ]
    )
    func roundTrip(strings: (String, String, String, String)) {
        let ids = (APIKeyID.random(), UserID.random())
        let times: [(Timestamp, Timestamp?, Timestamp?)] = [
            (Timestamp(millisecondsSinceEpoch: 0), nil, nil),
            (Timestamp(millisecondsSinceEpoch: -1), Timestamp(millisecondsSinceEpoch: 0), nil),
            (Timestamp(millisecondsSinceEpoch: .max), nil, Timestamp(millisecondsSinceEpoch: .min)),
            (Timestamp(millisecondsSinceEpoch: .min), Timestamp(millisecondsSinceEpoch: .max), Timestamp(millisecondsSinceEpoch: 42)),
        ]
        for (created, used, revoked) in times {
            let key = APIKeyRecord(
                id: ids.0,
                userID: ids.1,
                name: strings.0,
                lookupID: strings.1,
                secretHash: strings.2,
                lastFour: strings.3,
                createdAt: created,
                lastUsedAt: used,
                revokedAt: revoked
            )
            #expect(key.id == ids.0)
            #expect(key.userID == ids.1)
            #expect(key.name == strings.0)
            #expect(key.lookupID == strings.1)
            #expect(key.secretHash == strings.2)
            #expect(key.lastFour == strings.3)
            #expect(key.createdAt == created)
            #expect(key.lastUsedAt == used)
            #expect(key.revokedAt == revoked)
            #expect(key.isActive == (revoked == nil))
            #expect(key.preview == "lb_k_..." + strings.3)
        }
    }

    @Test("setting one field changes only that field, and copies taken before keep the old values")
    func setters() {
        let original = Self.record(lastUsedAt: Timestamp(millisecondsSinceEpoch: 5))
        var key = original
        key.revokedAt = Timestamp(millisecondsSinceEpoch: 7)
        #expect(key.revokedAt == Timestamp(millisecondsSinceEpoch: 7))
        #expect(!key.isActive)
        #expect(key.lastUsedAt == Timestamp(millisecondsSinceEpoch: 5))
        #expect(original.isActive && original.revokedAt == nil)
        key.lastUsedAt = nil
        #expect(key.lastUsedAt == nil)
        #expect(key.revokedAt == Timestamp(millisecondsSinceEpoch: 7))
        key.lastUsedAt = Timestamp(millisecondsSinceEpoch: 9)
        key.revokedAt = nil
        #expect(key.isActive && key.lastUsedAt == Timestamp(millisecondsSinceEpoch: 9))
        key.name = String(repeating: "long name ", count: 20)
        key.secretHash = "$2b$12$" + String(repeating: "z", count: 53)
        #expect(key.name == String(repeating: "long name ", count: 20))
        #expect(key.lookupID == original.lookupID)
        #expect(key.secretHash == "$2b$12$" + String(repeating: "z", count: 53))
        #expect(key.lastFour == original.lastFour)
        key.lookupID = "zzzzzzzzzzzz"
        key.lastFour = "0000"
        key.id = APIKeyID.random()
        key.userID = UserID.random()
        key.createdAt = Timestamp(millisecondsSinceEpoch: 1)
        #expect(key.name == String(repeating: "long name ", count: 20))
        #expect(key.lookupID == "zzzzzzzzzzzz" && key.lastFour == "0000")
        #expect(key.createdAt == Timestamp(millisecondsSinceEpoch: 1) && key.lastUsedAt == Timestamp(millisecondsSinceEpoch: 9))
        #expect(key.id != original.id && key.userID != original.userID)
        #expect(original == Self.record(lastUsedAt: Timestamp(millisecondsSinceEpoch: 5)))
    }

    @Test("equal fields make equal records with equal hashes; any one field differing makes them differ")
    func equality() {
        let base = Self.record()
        #expect(base == Self.record())
        #expect(base.hashValue == Self.record().hashValue)
        var variants: [APIKeyRecord] = [
            Self.record(name: "deploy bou"), Self.record(lookupID: "AbCdEfGh1235"), Self.record(secretHash: Self.hash + "x"),
            Self.record(lastFour: "9f3b"), Self.record(lastUsedAt: Timestamp(millisecondsSinceEpoch: 0)),
            Self.record(revokedAt: Timestamp(millisecondsSinceEpoch: 0)),
        ]
        var other = base
        other.id = APIKeyID.random()
        variants.append(other)
        other = base
        other.userID = UserID.random()
        variants.append(other)
        other = base
        other.createdAt = other.createdAt.adding(milliseconds: 1)
        variants.append(other)
        // Moving a byte from one string to the next keeps the bytes the same but not the fields.
        variants.append(Self.record(name: "deploy bo", lookupID: "tAbCdEfGh1234"))
        for variant in variants { #expect(variant != base) }
        #expect(Set(variants + [base]).count == variants.count + 1)
        // Strings compare as strings: canonically equivalent names are equal, as they were in the plain struct.
        #expect(Self.record(name: "caf\u{E9}") == Self.record(name: "cafe\u{301}"))
        #expect(Self.record(name: "caf\u{E9}").hashValue == Self.record(name: "cafe\u{301}").hashValue)
    }

    @Test("JSON has the field names of the plain struct, leaves absent timestamps out, and decodes back")
    func json() throws {
        let active = Self.record()
        let object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(active)) as? [String: Any])
        #expect(Set(object.keys) == ["id", "userID", "name", "lookupID", "secretHash", "lastFour", "createdAt"])
        let used = Self.record(lastUsedAt: Timestamp(millisecondsSinceEpoch: 1), revokedAt: Timestamp(millisecondsSinceEpoch: 2))
        let data = try JSONEncoder().encode(used)
        #expect(try JSONDecoder().decode(APIKeyRecord.self, from: data) == used)
        #expect(try JSONDecoder().decode(APIKeyRecord.self, from: JSONEncoder().encode(active)) == active)
    }

    @Test("a record is one pointer wide, so a map slot holds a pointer rather than the fields")
    func width() {
        #expect(MemoryLayout<APIKeyRecord>.size == MemoryLayout<Int>.size)
    }
}
