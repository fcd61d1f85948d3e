import Foundation

/// A fresh directory under the system's temporary directory, deleted with everything in it when the
/// value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "bureau-persistence-" + UUID().uuidString.lowercased()
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of a data directory (not yet created) inside it.
    var dataPath: String { path + "/data" }

    /// A path inside it.
    func path(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
