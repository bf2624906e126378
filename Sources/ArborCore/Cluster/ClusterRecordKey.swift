import Crypto

/// What a cluster record is about, and so the etcd key it is stored under and who may sign it.
///
/// The key is part of the signed bytes: a record copied to another key, or another cluster, no
/// longer verifies there. Text and byte forms in docs/cluster.md, "Record keys".
public struct ClusterRecordKey: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// A member node: its addresses and certificate chain.
        case member = 1
        /// A revocation (docs/keys.md §16.1), named by its content.
        case revocation = 2
        /// A keyring's public state: cipher, active and minimum epoch (never a seed).
        case keyring = 3
        /// Another cluster's trust bundle (docs/keys.md §17).
        case trust = 4
        /// The branch assignment of the seed tree.
        case assignments = 5
        /// A keyring's epoch seeds sealed to one holder's node key (docs/cluster.md, "Grants").
        case grant = 6
        /// A node's one-time prekeys for messages sealed to it (docs/cluster.md, "Messages between nodes").
        case prekeys = 7
        /// The leaves of a shared LMS key reserved so far (docs/cluster.md, "Leaf ranges through etcd").
        case leaves = 8
        /// An ancestor's order that a node move to a new key (docs/cluster.md, "Rekey over the cluster").
        case rekey = 9
        /// The root transition, for the clusters that trust this one (docs/cluster.md, "Root rekey over the cluster").
        case transition = 10

        var segment: String {
            switch self {
            case .member: "members"
            case .revocation: "revocations"
            case .keyring: "keyrings"
            case .trust: "trust"
            case .assignments: "assignments"
            case .leaves: "leaves"
            case .prekeys: "prekeys"
            case .grant: "grants"
            case .rekey: "rekeys"
            case .transition: "transition"
            }
        }
    }

    public enum Subject: Hashable, Sendable {
        case member(TreePath)
        /// The first 16 bytes of the revocation's content hash (`ClusterRecordKey.revocationID`).
        case revocation([UInt8])
        case keyring(owner: TreePath, name: String)
        case trust(clusterName: String)
        case assignments
        /// ``ClusterRecordKey/leavesID(lmsPublicKey:)`` of the shared LMS key.
        case leaves([UInt8])
        case prekeys(TreePath)
        case grant(owner: TreePath, name: String, holder: TreePath)
        /// The node the instruction moves, by its current path.
        case rekey(TreePath)
        case transition
    }

    public static let revocationIDSize = 16
    static let revocationIDDomain = "arbor/v1/cluster-revocation-id"
    public static let leavesIDSize = 16
    static let leavesIDDomain = "arbor/v1/cluster-leaves-id"

    /// The cluster's root key identifier: records of one cluster never verify in another.
    public let cluster: KeyID
    public let subject: Subject

    public init(cluster: KeyID, subject: Subject) throws {
        switch subject {
        case .revocation(let id):
            guard id.count == Self.revocationIDSize else {
                throw ArborError(.invalidArgument, "a revocation record is named by \(Self.revocationIDSize) bytes")
            }
        case .keyring(_, let name), .grant(_, let name, _):
            try TreePath.validate(label: name)
        case .trust(let name):
            guard (1...64).contains(name.utf8.count), !name.contains("/") else {
                throw ArborError(.invalidArgument, "a trusted cluster's name has 1 to 64 bytes and no '/'")
            }
        case .leaves(let id):
            guard id.count == Self.leavesIDSize else {
                throw ArborError(.invalidArgument, "a leaves record is named by \(Self.leavesIDSize) bytes")
            }
        case .member, .assignments, .prekeys, .rekey, .transition:
            break
        }
        self.cluster = cluster
        self.subject = subject
    }

    public static func member(_ path: TreePath, cluster: KeyID) -> ClusterRecordKey {
        ClusterRecordKey(validated: cluster, .member(path))
    }

    public static func revocation(_ revocation: Revocation, cluster: KeyID) -> ClusterRecordKey {
        ClusterRecordKey(validated: cluster, .revocation(revocationID(revocation)))
    }

    public static func keyring(owner: TreePath, name: String, cluster: KeyID) throws -> ClusterRecordKey {
        try ClusterRecordKey(cluster: cluster, subject: .keyring(owner: owner, name: name))
    }

    public static func trust(clusterName: String, cluster: KeyID) throws -> ClusterRecordKey {
        try ClusterRecordKey(cluster: cluster, subject: .trust(clusterName: clusterName))
    }

    public static func assignments(cluster: KeyID) -> ClusterRecordKey { ClusterRecordKey(validated: cluster, .assignments) }

    /// The record counting the reserved leaves of the LMS key with this public key (RFC 8554 bytes).
    public static func leaves(lmsPublicKey: [UInt8], cluster: KeyID) -> ClusterRecordKey {
        ClusterRecordKey(validated: cluster, .leaves(leavesID(lmsPublicKey: lmsPublicKey)))
    }

    /// SHA-256("arbor/v1/cluster-leaves-id" 0x00 ‖ LMS public key)[0 … 15]: names one shared key's
    /// leaf counter, whatever node holds a copy of the key.
    public static func leavesID(lmsPublicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Array(leavesIDDomain.utf8) + [0] + lmsPublicKey).prefix(leavesIDSize))
    }

    public static func prekeys(_ path: TreePath, cluster: KeyID) -> ClusterRecordKey {
        ClusterRecordKey(validated: cluster, .prekeys(path))
    }

    public static func grant(owner: TreePath, name: String, holder: TreePath, cluster: KeyID) throws -> ClusterRecordKey {
        try ClusterRecordKey(cluster: cluster, subject: .grant(owner: owner, name: name, holder: holder))
    }

    public static func rekey(_ path: TreePath, cluster: KeyID) -> ClusterRecordKey {
        ClusterRecordKey(validated: cluster, .rekey(path))
    }

    public static func transition(cluster: KeyID) -> ClusterRecordKey { ClusterRecordKey(validated: cluster, .transition) }

    private init(validated cluster: KeyID, _ subject: Subject) {
        self.cluster = cluster
        self.subject = subject
    }

    /// SHA-256("arbor/v1/cluster-revocation-id" 0x00 ‖ revocation encoding), first 16 bytes: the
    /// name fixes the content, so a revocation record cannot be overwritten with another revocation.
    public static func revocationID(_ revocation: Revocation) -> [UInt8] {
        Array(SHA256.hash(data: Array(revocationIDDomain.utf8) + [0] + revocation.encoded).prefix(revocationIDSize))
    }

    public var kind: Kind {
        switch subject {
        case .member: .member
        case .revocation: .revocation
        case .keyring: .keyring
        case .trust: .trust
        case .assignments: .assignments
        case .leaves: .leaves
        case .prekeys: .prekeys
        case .grant: .grant
        case .rekey: .rekey
        case .transition: .transition
        }
    }

    /// The etcd key: `arbor/<root key id>/members/<path>`, `…/revocations/<id>`,
    /// `…/keyrings/<name>/<owner path>`, `…/trust/<cluster name>`, `…/assignments`, `…/leaves/<id>`.
    /// The root path is written `.` (a label never starts with one).
    public var text: String {
        let prefix = "arbor/\(cluster.hex)/\(kind.segment)"
        switch subject {
        case .member(let path): return "\(prefix)/\(Self.text(of: path))"
        case .revocation(let id): return "\(prefix)/\(Hex.encode(id))"
        case .keyring(let owner, let name): return "\(prefix)/\(name)/\(Self.text(of: owner))"
        case .trust(let name): return "\(prefix)/\(name)"
        case .assignments, .transition: return prefix
        case .leaves(let id): return "\(prefix)/\(Hex.encode(id))"
        case .prekeys(let path): return "\(prefix)/\(Self.text(of: path))"
        case .grant(let owner, let name, let holder): return "\(prefix)/\(name)/\(Self.text(of: owner))/\(Self.text(of: holder))"
        case .rekey(let path): return "\(prefix)/\(Self.text(of: path))"
        }
    }

    /// The etcd prefix under which every record of a cluster lives (for a range or a watch).
    public static func prefix(cluster: KeyID) -> String { "arbor/\(cluster.hex)/" }

    public static func text(of path: TreePath) -> String { path.isRoot ? "." : path.description }

    public var description: String { text }

    /// root key id (32) ‖ kind (u8) ‖ subject (docs/cluster.md).
    func encode(into writer: inout ByteWriter) {
        writer.append(raw: cluster.bytes)
        writer.append(kind.rawValue)
        switch subject {
        case .member(let path): path.encode(into: &writer)
        case .revocation(let id): writer.append(raw: id)
        case .keyring(let owner, let name):
            owner.encode(into: &writer)
            writer.append(short: Array(name.utf8))
        case .trust(let name): writer.append(short: Array(name.utf8))
        case .assignments: break
        case .leaves(let id): writer.append(raw: id)
        case .prekeys(let path): path.encode(into: &writer)
        case .grant(let owner, let name, let holder):
            owner.encode(into: &writer)
            writer.append(short: Array(name.utf8))
            holder.encode(into: &writer)
        case .rekey(let path): path.encode(into: &writer)
        case .transition: break
        }
    }

    static func decode(from reader: inout ByteReader) throws -> ClusterRecordKey {
        let cluster = try KeyID(bytes: try reader.read(count: KeyID.size))
        guard let kind = Kind(rawValue: try reader.readUInt8()) else {
            throw ArborError.malformed("a cluster record has an unknown kind")
        }
        let subject: Subject
        switch kind {
        case .member: subject = .member(try TreePath.decode(from: &reader))
        case .revocation: subject = .revocation(try reader.read(count: revocationIDSize))
        case .keyring:
            let owner = try TreePath.decode(from: &reader)
            subject = .keyring(owner: owner, name: String(decoding: try reader.readShortField(), as: UTF8.self))
        case .trust: subject = .trust(clusterName: String(decoding: try reader.readShortField(), as: UTF8.self))
        case .assignments: subject = .assignments
        case .leaves: subject = .leaves(try reader.read(count: leavesIDSize))
        case .prekeys: subject = .prekeys(try TreePath.decode(from: &reader))
        case .grant:
            let owner = try TreePath.decode(from: &reader)
            let name = String(decoding: try reader.readShortField(), as: UTF8.self)
            subject = .grant(owner: owner, name: name, holder: try TreePath.decode(from: &reader))
        case .rekey: subject = .rekey(try TreePath.decode(from: &reader))
        case .transition: subject = .transition
        }
        do {
            return try ClusterRecordKey(cluster: cluster, subject: subject)
        } catch {
            throw ArborError.malformed("a cluster record names an invalid key")
        }
    }
}
