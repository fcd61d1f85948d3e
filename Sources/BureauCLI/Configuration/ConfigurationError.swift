/// A configuration problem that stops start-up. The message names the key and where its value came from;
/// it never repeats a seeded key's value.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}
