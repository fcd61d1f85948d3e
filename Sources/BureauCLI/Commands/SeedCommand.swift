import ArgumentParser
import BureauAuth
import BureauPersistence
import BureauServer
import BureauStore
import Foundation

/// `bureau seed`: fill a stopped server's data directory with generated users, keys, desktops and tasks
/// for load tests, writing the plaintext keys to a new owner-only file.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Fill a data directory with test users, keys, desktops and tasks; write the keys to a 0600 file.",
        discussion: """
            Users are user1@DOMAIN ... userN@DOMAIN. Every record is an ordinary mutation in the directory's \
            log (written without a sync per record, synced once at the end). The --out file is created with \
            mode 0600 and must not exist; it holds one key per line, in user order. A directory that already \
            holds state is refused unless --force is given, which adds to that state (nothing is deleted; an \
            email that already exists is refused, so choose another --email-domain).
            """
    )

    @OptionGroup var options: OfflineOptions

    @Option(help: "Users to create.")
    var users: Int

    @Option(name: .customLong("keys-per-user"), help: "API keys per user.")
    var keysPerUser: Int

    @Option(name: .customLong("desktops-per-user"), help: "Desktops per user.")
    var desktopsPerUser: Int = 0

    @Option(name: .customLong("tasks-per-desktop"), help: "Queued tasks per desktop.")
    var tasksPerDesktop: Int = 0

    @Option(help: "The file to write the plaintext keys to (created 0600; must not exist).")
    var out: String

    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost of the hashes, 4 to 31 (default: auth.bcrypt_cost); lower it for test data.")
    var bcryptCost: Int?

    @Option(name: .customLong("email-domain"), help: "Domain of the generated email addresses.")
    var emailDomain = "seed.test"

    @Flag(help: "Add to a data directory that already holds state.")
    var force = false

    func validate() throws {
        guard users >= 1 else { throw ValidationError("--users must be at least 1") }
        guard keysPerUser >= 0, desktopsPerUser >= 0, tasksPerDesktop >= 0 else { throw ValidationError("counts cannot be negative") }
        guard tasksPerDesktop == 0 || desktopsPerUser > 0 else { throw ValidationError("--tasks-per-desktop needs --desktops-per-user") }
        if let bcryptCost, !(4...31).contains(bcryptCost) { throw ValidationError("--bcrypt-cost must be 4 to 31") }
        if let problem = NewUser(email: "user1@\(emailDomain)").problems.first { throw ValidationError("--email-domain: \(problem)") }
    }

    func run() async throws {
        let configuration = try options.load()
        let plan = SeedPlan(
            users: users,
            keysPerUser: keysPerUser,
            desktopsPerUser: desktopsPerUser,
            tasksPerDesktop: tasksPerDesktop,
            emailDomain: User.normalise(email: emailDomain),
            maxKeysPerUser: configuration.server.maxKeysPerUser
        )
        let started = ContinuousClock.now
        let sequence = try await OfflineDataDirectory.withOperations(configuration, bcryptCost: bcryptCost, fsync: .never) { operations in
            try plan.check(against: operations.store, force: force)
            let file = try PrivateFile(creating: out)
            try await plan.apply(to: operations, keysTo: file)
            try file.finish()
            return operations.store.read { $0.sequence }
        }
        let seconds = (ContinuousClock.now - started).timeInterval
        print(
            "seeded \(users) users, \(users * keysPerUser) keys, \(users * desktopsPerUser) desktops and "
                + "\(users * desktopsPerUser * tasksPerDesktop) tasks into \(TerminalText.escaped(configuration.dataDirectory)) "
                + "(sequence \(sequence), \(String(format: "%.1f", seconds)) s); keys are in \(TerminalText.escaped(out))"
        )
    }
}
