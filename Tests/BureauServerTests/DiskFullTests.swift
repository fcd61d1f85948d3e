import BureauAuth
import BureauPersistence
import BureauServer
import BureauStore
import BureauTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Disk full")
struct DiskFullTests {
    @Test("a write the log refuses is a 503 that changes nothing; reads go on, /readyz says read-only, writes resume")
    func diskFull() async throws {
        let path = NSTemporaryDirectory() + "bureau-disk-full-" + UUID().uuidString.lowercased()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let fileSystem = FaultInjectingFileSystem()
        let directory = try DataDirectory(path: path, fileSystem: fileSystem)
        let journal = try LogJournal(directory: directory, recovered: try Recovery.recover(directory, logger: logger), logger: logger)
        let store = BureauStore(journal: journal, logger: logger)
        var settings = ServerSettings()
        settings.bcryptCost = 4
        let services = BureauServices(store: store, settings: settings, isWritable: { journal.isWritable })

        let user = try await store.commit { _, _, now -> (Mutation?, UserID) in
            let user = User(id: .random(), email: "full@example.com", name: "Full", createdAt: now)
            return (.userCreated(user), user.id)
        }
        let key = APIKeyFormat.generate()
        let hash = try await services.hasher.hash(key)
        try await store.commit { _, _, now -> (Mutation?, Void) in
            let record = APIKeyRecord(
                id: .random(),
                userID: user,
                name: "k",
                lookupID: key.lookupID,
                secretHash: hash,
                lastFour: key.lastFour,
                createdAt: now
            )
            return (.apiKeyCreated(record), ())
        }

        try await Application(router: buildRouter(services)).test(.router) { client in
            #expect(try await client.send(.get, "/readyz").status == .ok)
            let created = try await client.send(.post, "/api/desktops", key: key.plaintext, json: #"{"name": "Before"}"#)
            #expect(created.status == .created)
            let sequence = store.read { $0.sequence }

            fileSystem.inject(.init(.write, pathContains: ".seg", effect: .fail(errno: ENOSPC), repeats: true))
            let refused = try await client.send(.post, "/api/desktops", key: key.plaintext, json: #"{"name": "Lost"}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.code == "store_unavailable")
            #expect(store.read { $0.sequence } == sequence, "memory is untouched")
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable && ready.object["status"] as? String == "read_only")
            let listed = try await client.send(.get, "/api/desktops", key: key.plaintext)
            #expect(listed.status == .ok && listed.items.count == 1)

            fileSystem.removeAllFaults()
            let resumed = try await client.send(.post, "/api/desktops", key: key.plaintext, json: #"{"name": "After"}"#)
            #expect(resumed.status == .created)
            #expect(try await client.send(.get, "/readyz").status == .ok)
        }
        try await journal.close()
    }
}
