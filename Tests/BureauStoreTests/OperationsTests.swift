import BureauStore
import BureauTestSupport
import Testing

@Suite("Domain operations: one rule each, the acting credential re-checked inside the commit")
struct OperationsTests {
    @Test("a key created while its creator's key is revoked is never committed", .timeLimit(.minutes(1)))
    func creationRacingRevocation() async throws {
        let fixture = OperationsFixture()
        let principal = try await fixture.keyHolder()
        guard case .apiKey(let keyID) = principal.credential else { return }
        fixture.minter.gate.close()
        let creations = (0..<16).map { number in
            Task { try await fixture.operations.createAPIKey(NewAPIKey(name: "race \(number)"), by: .user(principal)) }
        }
        while fixture.minter.gate.waitingCount < 16 { await Task.yield() }
        try await fixture.operations.revokeAPIKey(keyID.description, by: .user(principal))
        fixture.minter.gate.open()
        for creation in creations {
            await #expect(throws: StoreError.credentialEnded(.apiKey(keyID))) { try await creation.value }
        }
        #expect(fixture.store.read { $0.activeKeys(of: principal.userID) }.isEmpty)
        #expect(fixture.store.read { $0.apiKeys.count } == 1)
    }

    @Test("after logout nothing acts for the session: writes and reads are refused")
    func endedSession() async throws {
        let fixture = OperationsFixture()
        let principal = try await fixture.sessionHolder()
        let desktop = try await fixture.operations.createDesktop(NewDesktop(name: "Desk"), by: .user(principal))
        guard case .session(let sessionID) = principal.credential else { return }
        try await fixture.operations.signOut(sessionID)
        let ended = StoreError.credentialEnded(principal.credential)
        await #expect(throws: ended) { try await fixture.operations.createDesktop(NewDesktop(name: "Later"), by: .user(principal)) }
        await #expect(throws: ended) { try await fixture.operations.deleteDesktop(desktop.id.description, by: .user(principal)) }
        #expect(throws: ended) { try fixture.operations.desktop(desktop.id.description, by: .user(principal)) }
        #expect(fixture.store.read { $0.desktops.count } == 1)
    }

    @Test("a session past its absolute or idle timeout acts for nobody, even before the sweep prunes it")
    func expiredSession() async throws {
        let fixture = OperationsFixture(policy: OperationPolicy(sessionLifetime: SessionLifetime(idleSeconds: 120, absoluteSeconds: 300)))
        let principal = try await fixture.sessionHolder()
        fixture.clock.advance(milliseconds: 119_000)
        _ = try await fixture.operations.createDesktop(NewDesktop(name: "In time"), by: .user(principal))
        fixture.clock.advance(milliseconds: 1_000)
        await #expect(throws: StoreError.credentialEnded(principal.credential)) {
            try await fixture.operations.createDesktop(NewDesktop(name: "Idle too long"), by: .user(principal))
        }

        // A use noted in memory (not yet written) keeps a session alive; the absolute timeout still ends it.
        let used = try await fixture.sessionHolder("bob@example.com", digestByte: 2)
        let lastSeen = Timestamp(millisecondsSinceEpoch: fixture.clock.now.millisecondsSinceEpoch + 280_000)
        let noted = Operations(store: fixture.store, policy: fixture.operations.policy, minter: fixture.minter, sessionLastSeen: { _ in lastSeen })
        fixture.clock.advance(milliseconds: 290_000)
        _ = try await noted.createDesktop(NewDesktop(name: "Used recently"), by: .user(used))
        fixture.clock.advance(milliseconds: 10_000)
        await #expect(throws: StoreError.credentialEnded(used.credential)) {
            try await noted.createDesktop(NewDesktop(name: "Too old"), by: .user(used))
        }
    }

    @Test("a credential of another user, or of a user that does not exist, acts for nobody")
    func mismatchedCredential() async throws {
        let fixture = OperationsFixture()
        let ada = try await fixture.keyHolder()
        let bob = try await fixture.keyHolder("bob@example.com")
        let forged = Principal(userID: bob.userID, credential: ada.credential)
        await #expect(throws: StoreError.credentialEnded(ada.credential)) {
            try await fixture.operations.createDesktop(NewDesktop(name: "x"), by: .user(forged))
        }
    }

    @Test("the operator needs no credential; the key cap holds for everyone, checked in the commit")
    func keyCap() async throws {
        let fixture = OperationsFixture(policy: OperationPolicy(maxKeysPerUser: 3))
        let principal = try await fixture.keyHolder()
        fixture.minter.gate.close()
        let creations = (0..<6).map { _ in Task { try await fixture.operations.createAPIKey(NewAPIKey(name: "k"), by: .user(principal)) } }
        while fixture.minter.gate.waitingCount < 6 { await Task.yield() }
        fixture.minter.gate.open()
        var created = 0
        for creation in creations {
            do {
                _ = try await creation.value
                created += 1
            } catch StoreError.conflict(let code, _) {
                #expect(code == "api_key_limit_reached")
            }
        }
        #expect(created == 2)
        #expect(fixture.store.read { $0.activeKeys(of: principal.userID).count } == 3)
    }

    @Test("ids are opaque: an id of any shape that names nothing is not found")
    func opaqueIDs() async throws {
        let fixture = OperationsFixture()
        let principal = try await fixture.keyHolder()
        for id in ["00", "", "not-a-uuid", "../x", String(repeating: "9", count: 500)] {
            #expect(throws: StoreError.notFound("Desktop")) { try fixture.operations.desktop(id, by: .user(principal)) }
            #expect(throws: StoreError.notFound("Task")) { try fixture.operations.task(id, by: .user(principal)) }
            #expect(throws: StoreError.notFound("Desktop")) { try fixture.operations.tasks(by: .user(principal), desktopID: id, limit: 10) }
            await #expect(throws: StoreError.notFound("API key")) { try await fixture.operations.revokeAPIKey(id, by: .user(principal)) }
        }
        let input = NewTask(type: "prompt", content: "x", desktopID: "00")
        await #expect(throws: StoreError.notFound("Desktop")) { try await fixture.operations.createTask(input, by: .user(principal)) }
    }

    @Test("idempotency records leave memory after their 24 hours; a retry after that creates a new task")
    func idempotencyExpiry() async throws {
        let fixture = OperationsFixture()
        let principal = try await fixture.keyHolder()
        let desktop = try await fixture.operations.createDesktop(NewDesktop(name: "Desk"), by: .user(principal))
        let input = NewTask(type: "prompt", content: "Run", desktopID: desktop.id.description)
        let retry = IdempotencyRequest(key: "retry-1", requestDigest: "d1")
        guard case .created(let first) = try await fixture.operations.createTask(input, idempotency: retry, by: .user(principal)) else {
            Issue.record("not created")
            return
        }
        #expect(try await fixture.operations.createTask(input, idempotency: retry, by: .user(principal)) == .replayed(first))
        #expect(try await !fixture.operations.expireIdempotencyRecords())
        fixture.clock.advance(milliseconds: IdempotencyRecord.retentionMilliseconds - 1)
        #expect(try await !fixture.operations.expireIdempotencyRecords())
        #expect(fixture.store.read { $0.idempotency.count } == 1)
        fixture.clock.advance(milliseconds: 1)
        #expect(try await fixture.operations.expireIdempotencyRecords())
        #expect(fixture.store.read { $0.idempotency.isEmpty })
        guard case .created(let second) = try await fixture.operations.createTask(input, idempotency: retry, by: .user(principal)) else {
            Issue.record("a retry after expiry must create")
            return
        }
        #expect(second.id != first.id)
    }

    @Test("every invalid field is reported at once, and nothing is written")
    func everyProblem() async throws {
        let fixture = OperationsFixture()
        let principal = try await fixture.keyHolder()
        let sequence = fixture.store.read { $0.sequence }
        let input = NewTask(type: "shell", content: "", desktopID: nil)
        let error = await #expect(throws: StoreError.self) {
            try await fixture.operations.createTask(input, idempotency: IdempotencyRequest(key: "bad key", requestDigest: "d"), by: .user(principal))
        }
        guard case .invalidInput(let problems) = error else {
            Issue.record("expected invalid input, got \(String(describing: error))")
            return
        }
        #expect(problems.map(\.field) == ["Idempotency-Key", "type", "content", "desktopId"])
        #expect(fixture.store.read { $0.sequence } == sequence)
    }
}
