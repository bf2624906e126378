import ArborCore
import Crypto

/// What an LMS key keeps between runs so that signing does not recompute its Merkle tree
/// (`docs/custody-formats.md` §3.9): the nodes at depth h − b and the leaf nodes of one bottom
/// subtree, authenticated with a key derived from the SEED.
///
///     "AHST" || u8 version = 1 || u32 lmstype || u32 otstype || I (16) || u8 b || u32 s
///            || 2^(h−b) nodes at depth h − b (32 each) || 2^b leaf nodes of subtree s (32 each)
///            || HMAC-SHA256(K, everything before)
///     K = HKDF-SHA256(IKM = SEED, salt = I, info = "arbor/v1/lms-tree-cache", 32 bytes)
///
/// It is a cache, not part of the key: nothing in it is secret (every node is a hash of public
/// one-time keys) and a key without it signs the same signatures after computing its tree.
/// A cache that is not this key's, or does not check, is never used: ``restore(_:key:)`` says why.
enum LMSTreeCache {
    static let magic = Array("AHST".utf8)
    static let version: UInt8 = 1
    static let headerLength = 4 + 1 + 4 + 4 + LMSParameters.identifierLength + 1 + 4
    static let tagLength = 32
    static let macInfo = Array("arbor/v1/lms-tree-cache".utf8)

    /// The MAC key: from the SEED, bound to this key's I, used for nothing else.
    static func macKey(seed: [UInt8], identifier: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: seed), salt: identifier, info: macInfo, outputByteCount: 32)
    }

    static func encode(_ tree: LMSTree, seed: [UInt8]) -> [UInt8] {
        let subtree = tree.currentSubtree
        var bytes = magic
        bytes.append(version)
        bytes.appendUInt32(tree.parameters.typecode)
        bytes.appendUInt32(tree.otsParameters.typecode)
        bytes += tree.identifier
        bytes.append(UInt8(tree.bottomHeight))
        bytes.appendUInt32(subtree.index)
        bytes += tree.upper[tree.parameters.height - tree.bottomHeight]
        bytes += subtree.levels[0]
        let tag = HMAC<SHA256>.authenticationCode(for: bytes, using: macKey(seed: seed, identifier: tree.identifier))
        return bytes + Array(tag)
    }

    /// The tree in `bytes`, if they are a cache of this key that checks: parameters and I equal,
    /// the layout this version writes, the MAC, the subtree's root equal to its node in the upper
    /// levels, and the root equal to `expectedRoot` when the caller knows the public key.
    /// Otherwise the reason it was not used, which never contains cached bytes.
    static func restore(
        _ bytes: [UInt8], parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], seed: [UInt8],
        expectedRoot: [UInt8]?
    ) -> Result<LMSTree, Rejection> {
        let bottomHeight = LMSTree.defaultBottomHeight(for: parameters)
        let upperDepth = parameters.height - bottomHeight
        let upperLength = (1 << upperDepth) * LMSParameters.m
        let leavesLength = (1 << bottomHeight) * LMSParameters.m
        guard bytes.count >= headerLength, Array(bytes[0..<4]) == magic, bytes[4] == version else {
            return .failure(Rejection("it is not an Arbor LMS tree cache of version \(version)"))
        }
        var reader = ByteReader(Array(bytes[5..<headerLength]), context: "the tree cache")
        guard let lmsType = try? reader.readUInt32(), let otsType = try? reader.readUInt32(),
            let cachedIdentifier = try? reader.read(count: LMSParameters.identifierLength),
            let cachedBottom = try? reader.readUInt8(), let index = try? reader.readUInt32()
        else { return .failure(Rejection("it is truncated")) }
        guard lmsType == parameters.typecode, otsType == otsParameters.typecode, cachedIdentifier == identifier else {
            return .failure(Rejection("it belongs to another key"))
        }
        guard Int(cachedBottom) == bottomHeight, index < UInt32(1 << upperDepth) else {
            return .failure(Rejection("its layout is not the one this arbor writes"))
        }
        guard bytes.count == headerLength + upperLength + leavesLength + tagLength else {
            return .failure(Rejection("it is \(bytes.count) bytes, not \(headerLength + upperLength + leavesLength + tagLength)"))
        }
        let body = Array(bytes[..<(bytes.count - tagLength)])
        let tag = Array(bytes[(bytes.count - tagLength)...])
        guard HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: body, using: macKey(seed: seed, identifier: identifier))
        else { return .failure(Rejection("its MAC does not match: it is damaged or was altered")) }

        let nodes = Array(body[headerLength..<(headerLength + upperLength)])
        let leaves = Array(body[(headerLength + upperLength)...])
        let upper = LMSTree.upperLevels(fromDepth: upperDepth, nodes: nodes, identifier: identifier)
        let subtree = LMSTree.subtree(index, leaves: leaves, bottomHeight: bottomHeight, parameters: parameters, identifier: identifier)
        guard subtree.levels[bottomHeight] == LMSTree.node(index, in: upper[upperDepth]) else {
            return .failure(Rejection("its subtree does not fit its upper levels"))
        }
        if let expectedRoot, upper[0] != expectedRoot {
            return .failure(Rejection("its root is not the key's public key"))
        }
        return .success(
            LMSTree(
                parameters: parameters, otsParameters: otsParameters, identifier: identifier, bottomHeight: bottomHeight, upper: upper,
                subtree: subtree))
    }

    /// Why a cache was not used.
    struct Rejection: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
