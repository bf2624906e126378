/// The name of a node in the key tree, such as `eu/node-7`.
///
/// Each segment is a label and a branch index. Branch 0 is written as the bare label; a
/// parent-ordered rekey moves a node to the next branch, written `node-7#1`. The root is the empty
/// path, written `/`.
public struct TreePath: Hashable, Sendable, CustomStringConvertible {
    public struct Segment: Hashable, Sendable, CustomStringConvertible {
        public let label: String
        public let branch: UInt32

        public init(label: String, branch: UInt32 = 0) throws {
            try TreePath.validate(label: label)
            self.label = label
            self.branch = branch
        }

        public var description: String { branch == 0 ? label : "\(label)#\(branch)" }
    }

    public static let maximumDepth = 32
    public static let maximumLabelLength = 63

    public let segments: [Segment]

    public static let root = TreePath(validated: [])

    private init(validated segments: [Segment]) { self.segments = segments }

    public init(segments: [Segment]) throws {
        guard segments.count <= Self.maximumDepth else {
            throw ArborError(.invalidPath, "a path has at most \(Self.maximumDepth) segments")
        }
        self.segments = segments
    }

    /// Parses `eu/node-7`, `/eu/node-7#2` or `/` (the root).
    public init(parsing text: String) throws {
        var body = Substring(text)
        if body.hasPrefix("/") { body = body.dropFirst() }
        if body.isEmpty {
            self = .root
            return
        }
        var segments: [Segment] = []
        for part in body.split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty else {
                throw ArborError(.invalidPath, "'\(text)' has an empty segment; write paths like eu/node-7")
            }
            let pieces = part.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            var branch: UInt32 = 0
            if pieces.count == 2 {
                guard let value = UInt32(pieces[1]), value > 0, String(value) == pieces[1] else {
                    throw ArborError(.invalidPath, "'\(part)' has a bad branch number; write label#N with N from 1 to 4294967295")
                }
                branch = value
            }
            segments.append(try Segment(label: String(pieces[0]), branch: branch))
        }
        try self.init(segments: segments)
    }

    public var isRoot: Bool { segments.isEmpty }
    public var depth: Int { segments.count }

    public var parent: TreePath? { isRoot ? nil : TreePath(validated: Array(segments.dropLast())) }

    public func appending(_ segment: Segment) throws -> TreePath { try TreePath(segments: segments + [segment]) }

    /// True when `self` lies strictly above `other`.
    public func isStrictAncestor(of other: TreePath) -> Bool {
        segments.count < other.segments.count && Array(other.segments.prefix(segments.count)) == segments
    }

    /// The same node moved to another branch (a parent-ordered rekey).
    public func withLastBranch(_ branch: UInt32) throws -> TreePath {
        guard let last = segments.last else {
            throw ArborError(.invalidPath, "the root has no branch index; a new root is made with 'arbor root init'")
        }
        return try TreePath(segments: segments.dropLast() + [Segment(label: last.label, branch: branch)])
    }

    public var description: String { isRoot ? "/" : segments.map(\.description).joined(separator: "/") }

    static func validate(label: String) throws {
        let bytes = Array(label.utf8)
        guard (1...maximumLabelLength).contains(bytes.count) else {
            throw ArborError(.invalidPath, "a path label has 1 to \(maximumLabelLength) characters")
        }
        let allowed: (UInt8) -> Bool = { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard bytes.allSatisfy(allowed) else {
            throw ArborError(.invalidPath, "'\(label)' may use only a-z, 0-9, '-', '_' and '.'")
        }
        guard let first = bytes.first, first != UInt8(ascii: "."), first != UInt8(ascii: "-") else {
            throw ArborError(.invalidPath, "'\(label)' must start with a letter, a digit or '_'")
        }
    }
}

extension TreePath {
    /// The binary form (docs/keys.md §4.2).
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    /// Binary form: u8 depth, then per segment u8 length, label bytes, u32 branch.
    func encode(into writer: inout ByteWriter) {
        writer.append(UInt8(segments.count))
        for segment in segments {
            writer.append(short: Array(segment.label.utf8))
            writer.append(segment.branch)
        }
    }

    static func decode(from reader: inout ByteReader) throws -> TreePath {
        let depth = Int(try reader.readUInt8())
        guard depth <= maximumDepth else {
            throw ArborError.malformed("\(reader.context) names a path deeper than \(maximumDepth)")
        }
        var segments: [Segment] = []
        for _ in 0..<depth {
            let label = String(decoding: try reader.readShortField(), as: UTF8.self)
            let branch = try reader.readUInt32()
            do {
                segments.append(try Segment(label: label, branch: branch))
            } catch {
                throw ArborError.malformed("\(reader.context) holds an invalid path label")
            }
        }
        return try TreePath(segments: segments)
    }
}
