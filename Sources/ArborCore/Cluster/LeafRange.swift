/// The value of a `leaves` record: the leaves of one shared LMS key that nodes have reserved so
/// far, as the range the last reservation took (docs/cluster.md, "Leaf ranges through etcd").
///
/// Every leaf below `next` is taken; a node signs only with leaves of a range it reserved, and
/// ``ClusterLedger`` refuses a record that would lower `next` or start a range below it
/// (`rollback`), so a writer to etcd cannot hand one leaf to two nodes.
public struct LeafRange: Sendable, Equatable {
    /// The node that reserved the range; it signs the record.
    public let holder: TreePath
    /// The first leaf of the range.
    public let first: UInt64
    /// The first leaf after the range: the next free one.
    public let next: UInt64

    public init(holder: TreePath, first: UInt64, next: UInt64) throws {
        guard first < next else { throw ArborError(.invalidArgument, "a leaf range reserves at least one leaf") }
        self.holder = holder
        self.first = first
        self.next = next
    }

    /// The reserved leaves.
    public var leaves: Range<UInt64> { first..<next }

    /// holder path (binary form) ‖ u64 first ‖ u64 next.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        holder.encode(into: &writer)
        writer.append(Int64(bitPattern: first))
        writer.append(Int64(bitPattern: next))
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a leaves record")
        let holder = try TreePath.decode(from: &reader)
        let first = UInt64(bitPattern: try reader.readInt64())
        let next = UInt64(bitPattern: try reader.readInt64())
        try reader.expectEnd()
        guard first < next else { throw ArborError.malformed("a leaves record's range is empty") }
        self.init(validated: holder, first, next)
    }

    private init(validated holder: TreePath, _ first: UInt64, _ next: UInt64) {
        self.holder = holder
        self.first = first
        self.next = next
    }

    /// Whether `later` reserves only leaves at or above this record's `next`.
    public func isFollowed(by later: LeafRange) -> Bool { later.first >= next }
}
