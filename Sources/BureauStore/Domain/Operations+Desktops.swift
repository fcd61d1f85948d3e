extension Operations {
    /// Creates a desktop for the requester's user.
    public func createDesktop(_ input: NewDesktop, by requester: Requester) async throws -> Desktop {
        let (name, status) = try input.validated()
        return try await commit(by: requester) { state, sequence, now in
            guard state.users[requester.userID] != nil else { throw StoreError.notFound("User") }
            let desktop = Desktop(
                id: .random(),
                ownerID: requester.userID,
                name: name,
                status: status,
                createdAt: now,
                updatedAt: now,
                ordinal: sequence
            )
            return (.desktopCreated(desktop), desktop)
        }
    }

    /// Renames, stops or starts one of the requester's desktops.
    public func updateDesktop(_ id: String, _ edit: DesktopEdit, by requester: Requester) async throws -> Desktop {
        let (name, status) = try edit.validated()
        // Nothing to change: no mutation, no event, `updatedAt` as it was.
        if name == nil, status == nil { return try desktop(id, by: requester) }
        return try await commit(by: requester) { state, _, now in
            var desktop = try Self.desktop(id, ownedBy: requester.userID, in: state)
            if let name { desktop.name = name }
            if let status { desktop.status = status }
            desktop.updatedAt = now
            return (.desktopUpdated(DesktopChange(id: desktop.id, name: name, status: status, at: now)), desktop)
        }
    }

    /// Deletes one of the requester's desktops; its unfinished tasks become `cancelled`.
    public func deleteDesktop(_ id: String, by requester: Requester) async throws {
        try await commit(by: requester) { state, _, now in
            let desktop = try Self.desktop(id, ownedBy: requester.userID, in: state)
            return (.desktopDeleted(DesktopDeletion(id: desktop.id, at: now)), ())
        }
    }

    /// One of the requester's desktops.
    public func desktop(_ id: String, by requester: Requester) throws -> Desktop {
        try read(by: requester) { try Self.desktop(id, ownedBy: requester.userID, in: $0) }
    }

    /// A page of the requester's desktops in creation order, after the desktop with ordinal `after`.
    public func desktops(by requester: Requester, after: UInt64?, limit: Int) throws -> Page<Desktop> {
        try read(by: requester) { $0.desktops(of: requester.userID, after: after, limit: limit) }
    }

    /// The desktop `id` names if it exists and belongs to `userID`: 404 if no desktop has that id, whatever
    /// its shape (ids are opaque), 403 if it is someone else's.
    static func desktop(_ id: String, ownedBy userID: UserID, in state: borrowing StoreState) throws(StoreError) -> Desktop {
        guard let desktopID = DesktopID(id), let desktop = state.desktops[desktopID] else { throw StoreError.notFound("Desktop") }
        guard desktop.ownerID == userID else { throw StoreError.forbidden("Desktop") }
        return desktop
    }
}
