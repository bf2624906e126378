/// Checks an audit log: every entry hashes to its recorded hash, follows the one before it (by
/// sequence and by hash), every head is signed by the node and names the entry just before it,
/// and, given a head obtained elsewhere, the log still holds that entry. Pure: the caller reads
/// the lines. See docs/audit.md, "Verification".
public struct AuditChainVerifier: Sendable {
    /// The node's public keys, from its verified certificate chain.
    public let signer: PublicKeySet

    public init(signer: PublicKeySet) { self.signer = signer }

    public struct Report: Sendable, Codable, Equatable {
        public var entries = 0
        public var heads = 0
        public var lastSequence: UInt64 = 0
        /// The last entry fixed by a signed head, or 0.
        public var lastSignedSequence: UInt64 = 0
        /// Entries after the last signed head: protected by the hash chain only, until the next
        /// head (anyone able to edit the file could rewrite them and recompute their hashes).
        public var unsignedEntries: Int { Int(lastSequence - lastSignedSequence) }
    }

    /// The running state over the lines, so a log of any size is checked in one pass.
    public struct Progress: Sendable {
        let verifier: AuditChainVerifier
        /// The last entry and the last head read so far.
        public private(set) var last: AuditEntry?
        public private(set) var lastHead: AuditHead?
        var expected: AuditHead?
        var sawExpected = false
        public private(set) var report = Report()
        var lineNumber = 0

        /// Feeds the next line (empty lines are not allowed).
        public mutating func add(line: some StringProtocol) throws {
            lineNumber += 1
            do {
                try add(try AuditRecord(line: line))
            } catch let error as ArborError {
                throw ArborError(error.code, "line \(lineNumber): \(error.message)")
            }
        }

        mutating func add(_ record: AuditRecord) throws {
            switch record {
            case .entry(let entry):
                let expectedSequence = (last?.sequence ?? 0) + 1
                guard entry.sequence == expectedSequence else {
                    throw ArborError(
                        .authenticationFailed,
                        "entry \(entry.sequence) where entry \(expectedSequence) was due: entries were deleted, inserted or reordered")
                }
                guard entry.previousHash == (last?.hash ?? AuditEntry.genesisHash) else {
                    throw ArborError(
                        .authenticationFailed,
                        "entry \(entry.sequence) does not chain to the entry before it: an entry was replaced or inserted")
                }
                if let expected, expected.sequence == entry.sequence {
                    guard expected.hash == entry.hash else {
                        throw ArborError(
                            .authenticationFailed,
                            "entry \(entry.sequence) is not the entry the expected signed head fixes: it was rewritten")
                    }
                    sawExpected = true
                }
                last = entry
                report.entries += 1
                report.lastSequence = entry.sequence
            case .head(let head):
                guard head.isSigned(by: verifier.signer) else {
                    throw ArborError(.authenticationFailed, "the head at entry \(head.sequence) is not signed by the node's key")
                }
                guard let last, head.sequence == last.sequence, head.hash == last.hash else {
                    throw ArborError(
                        .authenticationFailed,
                        "the signed head for entry \(head.sequence) does not match the entry before it: the log was rewritten")
                }
                lastHead = head
                report.heads += 1
                report.lastSignedSequence = head.sequence
            }
        }

        /// Ends the pass: the log must reach the expected head.
        public func finish() throws -> Report {
            if let expected, !sawExpected {
                throw ArborError(
                    .authenticationFailed,
                    "the log ends at entry \(report.lastSequence), before entry \(expected.sequence) that a signed head fixes: it was truncated"
                )
            }
            return report
        }
    }

    /// Starts a pass. `expectedHead`, a head obtained outside the log (the node's last published
    /// head), must be signed by the node; the log must then reach and match it.
    public func start(expectedHead: AuditHead? = nil) throws -> Progress {
        if let expectedHead, !expectedHead.isSigned(by: signer) {
            throw ArborError(.authenticationFailed, "the expected head is not signed by the node's key")
        }
        return Progress(verifier: self, expected: expectedHead)
    }

    /// Checks a whole log given as lines.
    public func verify(lines: some Sequence<some StringProtocol>, expectedHead: AuditHead? = nil) throws -> Report {
        var progress = try start(expectedHead: expectedHead)
        for line in lines { try progress.add(line: line) }
        return try progress.finish()
    }
}
