/// An open log segment file, closed when the last reference goes (the sync thread may still hold one
/// after the journal moved on to the next segment).
final class SegmentFile: Sendable {
    let descriptor: FileDescriptor
    let name: String
    let fileSystem: any FileSystem

    init(descriptor: FileDescriptor, name: String, fileSystem: any FileSystem) {
        self.descriptor = descriptor
        self.name = name
        self.fileSystem = fileSystem
    }

    deinit {
        fileSystem.close(descriptor)
    }
}

/// The segment the journal appends to.
struct OpenSegment {
    let file: SegmentFile
    let firstSequence: UInt64
    /// Bytes of intact content: where the next record goes.
    var size: Int64
    var lastSequence: UInt64?

    var info: LogSegmentInfo {
        LogSegmentInfo(name: file.name, firstSequence: firstSequence, lastSequence: lastSequence, size: size)
    }
}
