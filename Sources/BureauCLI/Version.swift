/// What `bureau --version` prints: the release and the commit it was built from.
enum BureauVersion {
    /// The release these sources belong to.
    static let release = "0.5.0"

    /// `bureau 0.5.0 (commit 0123456789ab)`.
    static var description: String { "bureau \(release) (commit \(BuildCommit.commit))" }
}
