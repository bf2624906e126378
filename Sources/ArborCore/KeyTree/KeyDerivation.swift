import Crypto

/// The derivation steps of the key tree, each an HKDF-SHA256 Expand (RFC 5869) keyed by a uniformly
/// random 32-byte secret, with an `info` string that separates every use. docs/keys.md,
/// "Derivation", specifies them byte for byte.
enum KeyDerivation {
    static let secretByteCount = 32

    /// `info` = "arbor/v1/child" 0x00 u8(len label) label u32(branch).
    static func childSecret(of parent: SymmetricKey, segment: TreePath.Segment) -> SymmetricKey {
        var info = ByteWriter()
        info.append(raw: Array("arbor/v1/child".utf8))
        info.append(UInt8(0))
        info.append(short: Array(segment.label.utf8))
        info.append(segment.branch)
        return expand(parent, info: info.bytes)
    }

    /// `info` = "arbor/v1/epoch" 0x00 u32(next epoch).
    static func nextEpochSecret(of current: SymmetricKey, nextEpoch: UInt32) -> SymmetricKey {
        var info = ByteWriter()
        info.append(raw: Array("arbor/v1/epoch".utf8))
        info.append(UInt8(0))
        info.append(nextEpoch)
        return expand(current, info: info.bytes)
    }

    /// `info` = "arbor/v1/key" 0x00 name, for the seeds of the node's key pairs and storage keys.
    static func keySeed(of epochSecret: SymmetricKey, name: String) -> SymmetricKey {
        expand(epochSecret, info: Array("arbor/v1/key".utf8) + [0] + Array(name.utf8))
    }

    private static func expand(_ secret: SymmetricKey, info: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: secretByteCount)
    }
}
