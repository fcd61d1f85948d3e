/// Why the hub did not open a stream.
enum SubscriptionRefusal: Error, Equatable {
    /// The server is shutting down.
    case shuttingDown
    /// The user holds `limit` open streams already (`stream.max_streams_per_user`).
    case tooManyStreams(limit: Int)
}
