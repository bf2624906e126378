import ArborCore
/// SLIP-39: Shamir's Secret-Sharing for Mnemonic Codes (satoshilabs/slips, slip-0039.md).
///
/// A master secret is encrypted with a passphrase, split into groups
/// (`groupThreshold` of them needed) and each group share split again into
/// member shares, each written as a mnemonic of 20 (128-bit secret) or 33
/// (256-bit secret) words.
public enum SLIP39 {
    /// One group of a backup: `memberThreshold` of its `memberCount` mnemonics rebuild the group's share.
    public struct Group: Hashable, Sendable {
        public var memberThreshold: Int
        public var memberCount: Int

        public init(memberThreshold: Int, memberCount: Int) {
            self.memberThreshold = memberThreshold
            self.memberCount = memberCount
        }
    }

    static let maximumShareCount = 16

    /// The largest iteration exponent accepted: 10000 × 2^8 PBKDF2 iterations, a few seconds.
    /// The format allows 15 (over five minutes), which a forged mnemonic could demand before
    /// anything is authenticated.
    public static let maximumIterationExponent = 8

    /// Word → 10-bit value.
    static let wordIndex: [String: UInt16] = Dictionary(
        uniqueKeysWithValues: wordlist.enumerated().map { ($0.element, UInt16($0.offset)) }
    )

    /// Splits `masterSecret` into mnemonics, returned group by group.
    ///
    /// - Parameters:
    ///   - masterSecret: at least 16 bytes, an even number of bytes.
    ///   - passphrase: printable ASCII only (code points 32…126); "" for none.
    ///   - groupThreshold: how many groups are needed, 1…`groups.count`.
    ///   - groups: 1…16 groups; in each 1 ≤ memberThreshold ≤ memberCount ≤ 16, and a
    ///     threshold of 1 requires a single member (the spec forbids 1-of-N).
    ///   - iterationExponent: PBKDF2 work factor e, 0…``maximumIterationExponent`` (10000 × 2^e iterations).
    ///   - extendable: true (recommended) leaves the identifier out of the encryption,
    ///     so more share sets can later be made for the same encrypted secret.
    public static func generateMnemonics(
        masterSecret: [UInt8],
        passphrase: String = "",
        groupThreshold: Int,
        groups: [Group],
        iterationExponent: Int = 1,
        extendable: Bool = true,
        using generator: inout some RandomNumberGenerator
    ) throws -> [[String]] {
        try generateShares(
            masterSecret: masterSecret, passphrase: passphrase, groupThreshold: groupThreshold, groups: groups,
            iterationExponent: iterationExponent, extendable: extendable, using: &generator
        ).map { $0.map(\.mnemonic) }
    }

    /// ``generateMnemonics(masterSecret:passphrase:groupThreshold:groups:iterationExponent:extendable:using:)``
    /// with the system's cryptographically secure generator.
    public static func generateMnemonics(
        masterSecret: [UInt8],
        passphrase: String = "",
        groupThreshold: Int,
        groups: [Group],
        iterationExponent: Int = 1,
        extendable: Bool = true
    ) throws -> [[String]] {
        var generator = SystemRandomNumberGenerator()
        return try generateMnemonics(
            masterSecret: masterSecret, passphrase: passphrase, groupThreshold: groupThreshold, groups: groups,
            iterationExponent: iterationExponent, extendable: extendable, using: &generator
        )
    }

    /// Generates the shares as values (see ``SLIP39Share/mnemonic`` for their words).
    public static func generateShares(
        masterSecret: [UInt8],
        passphrase: String = "",
        groupThreshold: Int,
        groups: [Group],
        iterationExponent: Int = 1,
        extendable: Bool = true,
        using generator: inout some RandomNumberGenerator
    ) throws -> [[SLIP39Share]] {
        guard masterSecret.count >= SLIP39Share.minimumSecretLength, masterSecret.count % 2 == 0 else {
            throw CustodyError.invalidParameters("the master secret must be at least 16 bytes and an even number of bytes")
        }
        let passphraseBytes = try validatedPassphrase(passphrase)
        guard (0...maximumIterationExponent).contains(iterationExponent) else {
            throw CustodyError.invalidParameters(
                "the iteration exponent must be 0…\(maximumIterationExponent), not \(iterationExponent)")
        }
        guard (1...maximumShareCount).contains(groups.count), (1...groups.count).contains(groupThreshold) else {
            throw CustodyError.invalidParameters(
                "need 1 ≤ group threshold ≤ group count ≤ 16, got \(groupThreshold) of \(groups.count)"
            )
        }
        for (number, group) in groups.enumerated() {
            guard (1...maximumShareCount).contains(group.memberCount), (1...group.memberCount).contains(group.memberThreshold) else {
                throw CustodyError.invalidParameters(
                    "group \(number + 1): need 1 ≤ member threshold ≤ member count ≤ 16, got \(group.memberThreshold) of \(group.memberCount)"
                )
            }
            guard group.memberThreshold > 1 || group.memberCount == 1 else {
                throw CustodyError.invalidParameters(
                    "group \(number + 1): a member threshold of 1 must have a single member, since its shares would be copies"
                )
            }
        }

        let identifier = UInt16(truncatingIfNeeded: generator.next()) & 0x7FFF
        var encryptedSecret = try SLIP39Cipher.encrypt(
            masterSecret, passphrase: passphraseBytes, iterationExponent: iterationExponent,
            identifier: identifier, extendable: extendable
        )
        defer { encryptedSecret.wipe() }
        let groupShares = SLIP39SecretSharing.split(
            threshold: groupThreshold, shareCount: groups.count, secret: encryptedSecret, using: &generator
        )
        return zip(groups, groupShares).enumerated().map { groupIndex, pair in
            let (group, groupShare) = pair
            let memberShares = SLIP39SecretSharing.split(
                threshold: group.memberThreshold, shareCount: group.memberCount, secret: groupShare, using: &generator
            )
            return memberShares.enumerated().map { memberIndex, value in
                SLIP39Share(
                    identifier: identifier, extendable: extendable, iterationExponent: iterationExponent,
                    groupIndex: groupIndex, groupThreshold: groupThreshold, groupCount: groups.count,
                    memberIndex: memberIndex, memberThreshold: group.memberThreshold, value: value
                )
            }
        }
    }

    /// Recovers the master secret from mnemonics: exactly `groupThreshold`
    /// groups, each with exactly its member threshold of distinct shares
    /// (repeated identical mnemonics are ignored). Errors about one mnemonic
    /// name its 1-based position in `mnemonics`.
    ///
    /// Any passphrase decrypts to some secret: SLIP-39 cannot tell a wrong one.
    public static func combineMnemonics(_ mnemonics: [String], passphrase: String = "") throws -> [UInt8] {
        var shares = [SLIP39Share]()
        for (offset, mnemonic) in mnemonics.enumerated() {
            do {
                shares.append(try SLIP39Share(mnemonic: mnemonic))
            } catch let error as CustodyError {
                throw CustodyError(error.code, "mnemonic #\(offset + 1): \(error.message)", shareNumber: offset + 1)
            }
        }
        return try combine(shares, passphrase: passphrase)
    }

    /// Recovers the master secret from parsed shares; see ``combineMnemonics(_:passphrase:)``.
    public static func combine(_ shares: [SLIP39Share], passphrase: String = "") throws -> [UInt8] {
        let passphraseBytes = try validatedPassphrase(passphrase)
        guard let first = shares.first else {
            throw CustodyError(.insufficientShares, "no mnemonics were given")
        }
        guard first.iterationExponent <= maximumIterationExponent else {
            throw CustodyError(
                .limitExceeded,
                "the mnemonics ask for iteration exponent \(first.iterationExponent) (10000 × 2^\(first.iterationExponent) PBKDF2 iterations); "
                    + "arbor accepts at most \(maximumIterationExponent)",
                shareNumber: 1)
        }
        for (offset, share) in shares.enumerated() {
            if let field = firstCommonFieldDifference(share, first) {
                throw CustodyError(
                    .inconsistentShares,
                    "mnemonic #\(offset + 1) has a different \(field) from mnemonic #1: they are not from the same backup",
                    shareNumber: offset + 1
                )
            }
        }

        // Group the distinct shares by group index, checking each group's member fields.
        var groups = [Int: [(number: Int, share: SLIP39Share)]]()
        for (offset, share) in shares.enumerated() {
            var members = groups[share.groupIndex, default: []]
            if let earlier = members.first(where: { $0.share.memberIndex == share.memberIndex }) {
                guard earlier.share == share else {
                    throw CustodyError(
                        .duplicateShare,
                        "mnemonics #\(earlier.number) and #\(offset + 1) are both member \(share.memberIndex + 1) of group \(share.groupIndex + 1) but differ",
                        shareNumber: offset + 1
                    )
                }
                continue
            }
            if let earlier = members.first, earlier.share.memberThreshold != share.memberThreshold {
                throw CustodyError(
                    .inconsistentShares,
                    "mnemonics #\(earlier.number) and #\(offset + 1) disagree on the member threshold of group \(share.groupIndex + 1)",
                    shareNumber: offset + 1
                )
            }
            members.append((offset + 1, share))
            groups[share.groupIndex] = members
        }

        guard groups.count >= first.groupThreshold else {
            throw CustodyError(
                .insufficientShares,
                "\(first.groupThreshold) groups are needed, got mnemonics from \(groups.count)"
            )
        }
        guard groups.count == first.groupThreshold else {
            throw CustodyError(
                .inconsistentShares,
                "exactly \(first.groupThreshold) groups are needed, got mnemonics from \(groups.count)"
            )
        }

        var groupPoints = [Polynomial.Point]()
        for (groupIndex, members) in groups.sorted(by: { $0.key < $1.key }) {
            let threshold = members[0].share.memberThreshold
            guard members.count == threshold else {
                throw CustodyError(
                    members.count < threshold ? .insufficientShares : .inconsistentShares,
                    "group \(groupIndex + 1) needs exactly \(threshold) distinct mnemonics, got \(members.count)"
                )
            }
            let points = members.map { Polynomial.Point(x: UInt8($0.share.memberIndex), y: $0.share.value) }
            guard let groupShare = SLIP39SecretSharing.recover(threshold: threshold, points: points) else {
                throw CustodyError(
                    .digestMismatch,
                    "the mnemonics of group \(groupIndex + 1) do not combine correctly: at least one was altered or is from another backup"
                )
            }
            groupPoints.append(Polynomial.Point(x: UInt8(groupIndex), y: groupShare))
        }
        guard var encryptedSecret = SLIP39SecretSharing.recover(threshold: first.groupThreshold, points: groupPoints) else {
            throw CustodyError(
                .digestMismatch,
                "the groups do not combine correctly: at least one mnemonic was altered or is from another backup"
            )
        }
        defer { encryptedSecret.wipe() }
        return try SLIP39Cipher.decrypt(
            encryptedSecret, passphrase: passphraseBytes, iterationExponent: first.iterationExponent,
            identifier: first.identifier, extendable: first.extendable
        )
    }

    /// The name of the first backup-wide field on which two shares differ.
    private static func firstCommonFieldDifference(_ lhs: SLIP39Share, _ rhs: SLIP39Share) -> String? {
        if lhs.identifier != rhs.identifier { return "identifier" }
        if lhs.extendable != rhs.extendable { return "extendable flag" }
        if lhs.iterationExponent != rhs.iterationExponent { return "iteration exponent" }
        if lhs.groupThreshold != rhs.groupThreshold { return "group threshold" }
        if lhs.groupCount != rhs.groupCount { return "group count" }
        if lhs.value.count != rhs.value.count { return "length" }
        return nil
    }

    /// The passphrase's bytes, which SLIP-39 restricts to printable ASCII for interoperability.
    private static func validatedPassphrase(_ passphrase: String) throws -> [UInt8] {
        let bytes = Array(passphrase.utf8)
        guard bytes.allSatisfy({ (32...126).contains($0) }) else {
            throw CustodyError.invalidParameters("a SLIP-39 passphrase may contain only printable ASCII characters")
        }
        return bytes
    }
}
