import BureauStore
import NIOCore

/// The `text/event-stream` framing of the activity stream: each block ends with a blank line; an event
/// is `id:`, `event:` and one `data:` line of JSON (JSON strings escape line breaks, so it is one line).
enum ServerSentEvents {
    /// The reconnection delay the stream announces first, in milliseconds.
    static let retryMilliseconds = 3000

    /// `retry: 3000`, the stream's first block.
    static var retry: ByteBuffer { ByteBuffer(string: "retry: \(retryMilliseconds)\n\n") }

    /// The heartbeat comment.
    static let heartbeat = ByteBuffer(string: ": keep-alive\n\n")

    /// The block of one event.
    static func frame(of event: ActivityEvent) -> ByteBuffer {
        var writer = JSONWriter(capacity: 512)
        ActivityEventRepresentation(event, includesID: false).write(to: &writer)
        return block(id: event.id.description, event: event.kind.rawValue, data: writer.buffer)
    }

    /// `event: reset`, telling the client that events it missed are gone and it must refetch. Its id is the
    /// newest the refetch covers (empty when the user has none, so the client forgets its stale id).
    static func reset(through id: ActivityEventID?, at: Timestamp) -> ByteBuffer {
        var writer = JSONWriter(capacity: 96)
        writer.object { json in
            json.field("type", "reset")
            json.field("at", at.rfc3339)
            json.key("data")
            json.object { _ in }
        }
        return block(id: id?.description ?? "", event: "reset", data: writer.buffer)
    }

    /// `event: shutdown`, the last block of every stream open when the server shuts down: the client
    /// reconnects (after `retry`), to this server once it is back or to another behind the same address.
    /// It has no `id:` line, so the client's last event id stays the last real event's.
    static func shutdown(at: Timestamp) -> ByteBuffer {
        var writer = JSONWriter(capacity: 96)
        writer.object { json in
            json.field("type", "shutdown")
            json.field("at", at.rfc3339)
            json.key("data")
            json.object { _ in }
        }
        var buffer = ByteBufferAllocator().buffer(capacity: writer.buffer.readableBytes + 32)
        buffer.writeString("event: shutdown\ndata: ")
        buffer.writeImmutableBuffer(writer.buffer)
        buffer.writeString("\n\n")
        return buffer
    }

    private static func block(id: String, event: String, data: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: data.readableBytes + 48)
        buffer.writeString("id: \(id)\nevent: \(event)\ndata: ")
        buffer.writeImmutableBuffer(data)
        buffer.writeString("\n\n")
        return buffer
    }
}

/// An activity event as the API shows it: `{"type", "at", "data"}`, with `"id"` first in lists.
struct ActivityEventRepresentation: JSONRepresentable {
    let event: ActivityEvent
    let includesID: Bool

    init(_ event: ActivityEvent, includesID: Bool) {
        self.event = event
        self.includesID = includesID
    }

    func write(to writer: inout JSONWriter) {
        writer.object { json in
            if includesID { json.field("id", event.id.description) }
            json.field("type", event.kind.rawValue)
            json.field("at", event.at.rfc3339)
            json.key("data")
            switch event.subject {
            case .task(let task): TaskRepresentation(task).write(to: &json)
            case .desktop(let desktop): DesktopRepresentation(desktop).write(to: &json)
            case .apiKey(let key):
                json.object { json in
                    json.field("id", key.id.description)
                    json.field("name", key.name)
                    json.field("preview", key.preview)
                    json.field("createdAt", key.createdAt.rfc3339)
                }
            }
        }
    }
}
