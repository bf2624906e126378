import ArborCore
import ArborCustody

/// One hash-based (HSS) signing key with its leaf state, over a ``LeafStateStore``: the rules that
/// keep a one-time leaf from ever being used twice.
///
/// Every leaf is reserved, and the advanced state made durable, before a signature made with it
/// can leave: a crash loses unused leaves, never reuses one.
public struct HSSSigningKey<Store: LeafStateStore> {
    public let store: Store
    /// Hears of the leaves computed when the key's tree must be computed (no usable tree cache).
    public let progress: LMSTreeProgress?
    /// Hears why a tree cache was not used, or could not be written (the tree is then computed, or
    /// computed again next time); never anything secret.
    public let notice: (@Sendable (String) -> Void)?

    public init(store: Store, progress: LMSTreeProgress? = nil, notice: (@Sendable (String) -> Void)? = nil) {
        self.store = store
        self.progress = progress
        self.notice = notice
    }

    /// The key file (holding the LMS seeds). Its tree comes from the tree cache beside it when that
    /// checks; otherwise it is computed, and the cache written anew so the next load is quick.
    public func load() throws -> HSSKeyFile {
        let cache = store.readTreeCache()
        let file = try custody(store.keyName) { try HSSKeyFile(armored: try store.readKey(), treeCache: cache, progress: progress) }
        switch file.key.treeOrigin {
        case .cache: break
        case .computed: saveTreeCache(of: file.key)
        case .computedRejectingCache(let reason):
            notice?("the tree cache of '\(store.keyName)' was not used (\(reason)); the tree was computed again and the cache rewritten")
            saveTreeCache(of: file.key)
        }
        return file
    }

    /// Writes the key's tree cache (after a load that computed the tree, or a signature that moved
    /// into the next bottom subtree); a failure costs only time, so it is told, not thrown.
    public func saveTreeCache(of key: LMSPrivateKey) {
        do {
            try store.replaceTreeCache(key.encodedTreeCache())
        } catch {
            notice?("could not write the tree cache of '\(store.keyName)' (\(error)); the next use computes the tree again")
        }
    }

    /// The current leaf state, refused if it belongs to another key.
    public func readState(for key: LMSPrivateKey) throws -> LMSLeafState {
        let current = try custody(store.stateName) { try LMSLeafState(encoded: try store.readState()) }
        guard current.belongs(to: key) else {
            throw ArborError(
                .conflict, "'\(store.stateName)' is the leaf state of another key; put the right state next to '\(store.keyName)'")
        }
        return current
    }

    /// Reserves up to `count` leaves and makes the new state durable before returning them.
    /// Fewer are reserved when fewer remain; none left is the "exhausted" error.
    public func reserve(_ count: Int, for key: LMSPrivateKey) throws -> (reservation: LMSLeafReservation, state: LMSLeafState) {
        try store.withExclusiveAccess {
            let current = try readState(for: key)
            guard current.remainingLeaves > 0 else {
                throw ArborError(
                    .invalidArgument,
                    "the key '\(store.keyName)' is exhausted: all \(current.leafCount) of its one-time leaves are used; "
                        + "make a new key (a node: arbor hss keygen --node, then have it enrolled)")
            }
            let (reservation, next) = try custody { try current.reserve(count: Int(min(UInt32(max(count, 1)), current.remainingLeaves))) }
            try store.replaceState(next.encoded)
            return (reservation, next)
        }
    }

    /// Reserves the leaves of `range` this state has not passed yet, up to `count`, in one
    /// durable state write: the state first moves up to the range's start (leaves below it belong to
    /// other holders of a shared key), so the leaves returned lie inside `range` and were never
    /// handed out here. `conflict` when the state is past the range already.
    public func reserve(
        _ count: Int, within range: Range<UInt32>, for key: LMSPrivateKey
    ) throws -> (reservation: LMSLeafReservation, state: LMSLeafState) {
        try store.withExclusiveAccess {
            let current = try readState(for: key)
            let start = max(current.nextLeaf, range.lowerBound)
            guard start < range.upperBound, range.upperBound <= current.leafCount else {
                throw ArborError(
                    .conflict,
                    "'\(store.stateName)' is at leaf \(current.nextLeaf), past the range \(range.lowerBound)..<\(range.upperBound) reserved for it"
                )
            }
            var base = current
            if start > current.nextLeaf { base = try custody(store.stateName) { try current.advanced(to: start) } }
            let (reservation, next) = try custody { try base.reserve(count: Int(min(UInt32(max(count, 1)), range.upperBound - start))) }
            try store.replaceState(next.encoded)
            return (reservation, next)
        }
    }

    /// How far to burn leaves.
    public enum BurnTarget: Sendable {
        /// Make this the next leaf.
        case to(UInt32)
        /// Skip this many leaves (at most to the end).
        case skipping(UInt32)
    }

    /// Advances the leaf state so that leaves a backup or another copy may have used are never used
    /// again; the state only moves forward. With `recreateMissingState` and `.to(leaf)`, a lost
    /// state is written anew at `leaf`, which must be past leaf 0.
    public func burn(_ target: BurnTarget, recreateMissingState: Bool = false) throws -> LMSLeafState {
        let file = try load()
        return try store.withExclusiveAccess {
            if recreateMissingState, !store.stateExists() {
                // Without the lost state nothing shows how far the key got; leaf 0 is certainly behind
                // it unless the key never signed, so a recreated state starts past it.
                guard case .to(let leaf) = target, leaf > 0 else {
                    throw ArborError(
                        .conflict,
                        "recreating the lost state at leaf 0 would reuse every leaf the key has used: "
                            + "give --to past the highest leaf it ever used (docs/custody.md)")
                }
                let state = try custody { try LMSLeafState(for: file.key).advanced(to: leaf) }
                try store.createState(state.encoded)
                return state
            }
            let current = try readState(for: file.key)
            let next: UInt32 =
                switch target {
                case .to(let leaf): leaf
                case .skipping(let count): UInt32(min(UInt64(current.nextLeaf) + UInt64(count), UInt64(current.leafCount)))
                }
            let advanced = try custody(store.stateName) { try current.advanced(to: next) }
            try store.replaceState(advanced.encoded)
            return advanced
        }
    }

    /// Installs the delegation from the level above, after checking that every link holds and
    /// that it ends at this key; the key is rewritten atomically.
    public func install(_ delegation: HSSDelegation) throws -> HSSKeyFile {
        try store.withExclusiveAccess {
            let installed = try custody(store.keyName) { try load().installing(delegation) }
            try store.replaceKey(installed.armored)
            return installed
        }
    }

    /// Enrolls a node's key: the request must verify (signed by the node it names, under a trusted
    /// chain) and, with `node`, be that node's. One leaf is reserved, durably, before signing.
    public func enroll(
        _ request: HSSEnrollmentRequest, requestName: String, verifier: ChainVerifier, at time: Int64, node: TreePath? = nil
    ) throws -> HSSEnrollmentResult {
        let verified = try custody(requestName) { try request.verify(verifier: verifier, at: time) }
        if let node, node != request.nodePath {
            throw ArborError(.wrongCluster, "'\(requestName)' is the request of \(request.nodePath), not of \(node); nothing was signed")
        }
        let file = try load()
        guard file.delegates else {
            throw ArborError(
                .invalidArgument,
                "'\(store.keyName)' does not enroll keys: it is \(file.publicKey == nil ? "not enrolled itself" : "a bottom-level key")")
        }
        let (reservation, state) = try reserve(1, for: file.key)
        let leaf = reservation.leaves.lowerBound
        let held = file.key.treeCacheRevision
        let delegation = try custody { try file.enroll(request.publicKey, using: reservation) }
        if file.key.treeCacheRevision != held { saveTreeCache(of: file.key) }
        return HSSEnrollmentResult(delegation: delegation, leaf: leaf, remainingLeaves: state.remainingLeaves, verified: verified)
    }

    /// Withdraws a delegation made below this key: signs its revocation with one leaf, reserved
    /// durably first. Checked before a leaf is spent.
    public func revoke(_ delegation: HSSDelegation, delegationName: String) throws -> HSSRevocationResult {
        let file = try load()
        guard file.delegates else {
            throw ArborError(
                .invalidArgument,
                "'\(store.keyName)' revokes nothing: it is \(file.publicKey == nil ? "not enrolled itself" : "a bottom-level key")")
        }
        guard delegation.publicKey == file.publicKey,
            ([file.publicKey!.topKey] + delegation.chain.dropLast().map(\.publicKey)).contains(file.key.publicKey)
        else {
            throw ArborError(
                .invalidSignature, "'\(delegationName)' was not made below '\(store.keyName)': only a level above it can revoke it")
        }
        let (reservation, state) = try reserve(1, for: file.key)
        let leaf = reservation.leaves.lowerBound
        let held = file.key.treeCacheRevision
        let revocation = try custody { try file.revoke(delegation, using: reservation) }
        if file.key.treeCacheRevision != held { saveTreeCache(of: file.key) }
        return HSSRevocationResult(revocation: revocation, leaf: leaf, remainingLeaves: state.remainingLeaves)
    }
}

/// What an enrollment made: the delegation, the leaf it used, and the verified request chain.
public struct HSSEnrollmentResult {
    public let delegation: HSSDelegation
    public let leaf: UInt32
    public let remainingLeaves: UInt32
    public let verified: ChainVerifier.VerifiedChain
}

/// What a revocation made: the revocation and the leaf it used.
public struct HSSRevocationResult {
    public let revocation: HSSDelegationRevocation
    public let leaf: UInt32
    public let remainingLeaves: UInt32
}
