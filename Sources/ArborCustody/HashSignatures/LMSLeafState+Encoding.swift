import ArborCore
import Crypto

/// The on-disk form of an ``LMSLeafState`` (`docs/custody-formats.md` §3.6):
///
///     "ARBLMSST" (8) || u8 version = 1 || I (16) || u32 leafCount || u32 nextLeaf || SHA-256 of the preceding 33 bytes
///
/// 65 bytes. The checksum makes a torn or damaged state file fail loudly instead of handing out
/// leaves from a wrong counter.
extension LMSLeafState {
    static let stateMagic = Array("ARBLMSST".utf8)
    static let stateVersion: UInt8 = 1
    /// Length of ``encoded``.
    public static let encodedLength = 8 + 1 + 16 + 4 + 4 + 32

    /// The 65-byte state file contents.
    public var encoded: [UInt8] {
        var bytes = Self.stateMagic
        bytes.append(Self.stateVersion)
        bytes += identifier
        bytes.appendUInt32(leafCount)
        bytes.appendUInt32(nextLeaf)
        return bytes + Array(SHA256.hash(data: bytes))
    }

    /// Parses ``encoded``, checking the magic, version, checksum and ranges.
    public init(encoded bytes: [UInt8]) throws {
        guard bytes.count == Self.encodedLength, Array(bytes[0..<8]) == Self.stateMagic else {
            throw CustodyError(
                .malformedKeyFile, "this is not an Arbor LMS leaf state (\(Self.encodedLength) bytes starting \"ARBLMSST\")")
        }
        guard bytes[8] == Self.stateVersion else {
            throw CustodyError(.malformedKeyFile, "LMS leaf state version \(bytes[8]) is not supported by this arbor")
        }
        let body = Array(bytes[..<(Self.encodedLength - 32)])
        guard Array(SHA256.hash(data: body)) == Array(bytes[(Self.encodedLength - 32)...]) else {
            throw CustodyError(.malformedKeyFile, "the LMS leaf state's checksum does not match: the state file is damaged")
        }
        var reader = ByteReader(Array(body[9...]), context: "the leaf state")
        guard let identifier = try? reader.read(count: LMSParameters.identifierLength), let leafCount = try? reader.readUInt32(),
            let nextLeaf = try? reader.readUInt32(), LMSParameters.all.contains(where: { $0.leafCount == leafCount }), nextLeaf <= leafCount
        else {
            throw CustodyError(.malformedKeyFile, "the LMS leaf state holds values no LMS key can have")
        }
        self.init(identifier: identifier, leafCount: leafCount, nextLeaf: nextLeaf)
    }

    /// The state with `nextLeaf` moved forward to `leaf` (at most the leaf count): burns every leaf
    /// a restored backup might have used. A state never goes back: `leaf` below `nextLeaf` throws
    /// `stateRollback`, since it would hand out leaves again.
    public func advanced(to leaf: UInt32) throws -> LMSLeafState {
        guard leaf >= nextLeaf else {
            throw CustodyError(
                .stateRollback,
                "the next leaf is \(nextLeaf); moving it back to \(leaf) would use leaves again: a state only moves forward")
        }
        return LMSLeafState(identifier: identifier, leafCount: leafCount, nextLeaf: min(leaf, leafCount))
    }

    /// Whether this state belongs to `key` (same I and tree size).
    public func belongs(to key: LMSPrivateKey) -> Bool {
        identifier == key.identifier && leafCount == key.parameters.leafCount
    }
}
