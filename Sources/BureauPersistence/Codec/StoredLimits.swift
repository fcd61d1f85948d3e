import BureauStore

/// The ranges the numbers in storage files must fall in. Every decoder (log records, snapshot bodies and
/// headers, segment headers, file names) refuses a value outside them with an error naming it, so that
/// the code that later counts on from a decoded value (the next sequence is the last plus one) or
/// subtracts two of them (expiry, retention) can never overflow.
public enum StoredLimits {
    /// Sequences, and the ordinals and event ids made from them: 0 through `Int64.max`, so that the one
    /// after any stored sequence exists, and every tool that reads them as signed 64-bit numbers agrees.
    public static let sequences: ClosedRange<UInt64> = 0...UInt64(Int64.max)

    /// The first sequence of a log segment: its first record's, never 0 (the empty state's).
    public static let segmentFirstSequences: ClosedRange<UInt64> = 1...sequences.upperBound

    /// Times, as ``Timestamp/validRange`` defines them (years 0000 to 9999).
    public static var times: ClosedRange<Int64> { Timestamp.validRange }

    /// Why `milliseconds` is not a storable time, or `nil` when it is.
    static func problem(time milliseconds: Int64) -> String? {
        times.contains(milliseconds) ? nil : "time \(milliseconds) ms since the epoch is outside years 0000 to 9999"
    }

    /// Why `sequence` is not a storable sequence, or `nil` when it is.
    static func problem(sequence: UInt64, of what: String = "sequence") -> String? {
        sequences.contains(sequence) ? nil : "\(what) \(sequence) is larger than \(sequences.upperBound)"
    }
}
