/// Holds a stream's subscription for its response, and closes it when released. The response's body
/// closes the subscription however it ends; but a response dropped before its body ran (the connection
/// failed while its head was being written) never runs its body, and without this its subscription would
/// keep a slot under `stream.max_streams_per_user` for good.
final class SubscriptionLease: Sendable {
    /// The subscription held.
    let subscription: ActivitySubscription

    init(_ subscription: ActivitySubscription) {
        self.subscription = subscription
    }

    deinit {
        subscription.close(.clientGone)
    }
}
