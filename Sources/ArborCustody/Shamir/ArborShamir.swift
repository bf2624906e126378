import ArborCore
import Crypto

/// Shamir secret sharing over GF(256) with self-checking shares
/// (`arbor-share-v1`, see `docs/custody-formats.md`).
///
/// The shared value is `secret || digest`, where the 16-byte digest is an HMAC
/// of the secret. Every byte position has its own random polynomial, so fewer
/// than `threshold` shares reveal nothing about either part; with `threshold`
/// shares the digest proves that the right secret came out, so shares that are
/// each well formed but do not belong together are reported, never combined
/// into a wrong secret.
public enum ArborShamir {
    /// The most shares one set can have: one per non-zero x of GF(256).
    public static let maximumShareCount = 255
    private static let digestKey = SymmetricKey(data: Array("arbor-share-v1 secret digest".utf8))

    /// Splits `secret` into `shareCount` shares, any `threshold` of which recover it.
    ///
    /// - Parameters:
    ///   - secret: 1…``ArborShare/maximumSecretLength`` bytes.
    ///   - threshold: 1 ≤ threshold ≤ shareCount.
    ///   - shareCount: at most 255 (the non-zero x coordinates of GF(256)).
    ///   - generator: the source of the set identifier and polynomial coefficients.
    public static func split(
        secret: [UInt8],
        threshold: Int,
        shareCount: Int,
        using generator: inout some RandomNumberGenerator
    ) throws -> [ArborShare] {
        guard (1...ArborShare.maximumSecretLength).contains(secret.count) else {
            throw CustodyError.invalidParameters("the secret must be 1…\(ArborShare.maximumSecretLength) bytes, not \(secret.count)")
        }
        guard (1...maximumShareCount).contains(shareCount), (1...shareCount).contains(threshold) else {
            throw CustodyError.invalidParameters("need 1 ≤ threshold ≤ share count ≤ 255, got \(threshold) of \(shareCount)")
        }
        let setIdentifier = generator.randomBytes(count: 4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var coefficients = [secret + digest(of: secret, setIdentifier: setIdentifier)]
        for _ in 1..<threshold {
            coefficients.append(generator.randomBytes(count: secret.count + ArborShare.digestLength))
        }
        defer {
            for index in coefficients.indices { coefficients[index].wipe() }
        }
        return (1...shareCount).map { x in
            ArborShare(
                setIdentifier: setIdentifier,
                threshold: threshold,
                x: UInt8(x),
                secretLength: secret.count,
                value: Polynomial.evaluate(coefficients, at: UInt8(x))
            )
        }
    }

    /// Splits `secret` with the system's cryptographically secure generator.
    public static func split(secret: [UInt8], threshold: Int, shareCount: Int) throws -> [ArborShare] {
        var generator = SystemRandomNumberGenerator()
        return try split(secret: secret, threshold: threshold, shareCount: shareCount, using: &generator)
    }

    /// Parses each text share, then combines them. A share that does not parse
    /// is named by its 1-based position in `encodedShares`.
    public static func combine(encodedShares: [String]) throws -> [UInt8] {
        guard encodedShares.count <= maximumShareCount else {
            throw CustodyError(.limitExceeded, "\(encodedShares.count) shares were given; a set has at most \(maximumShareCount)")
        }
        var shares = [ArborShare]()
        for (offset, text) in encodedShares.enumerated() {
            do {
                shares.append(try ArborShare(text: text))
            } catch let error as CustodyError {
                throw CustodyError(error.code, "share #\(offset + 1): \(error.message)", shareNumber: offset + 1)
            }
        }
        return try combine(shares)
    }

    /// Recovers the secret from at least `threshold` distinct shares of one set.
    ///
    /// Shares that disagree with the majority on set identifier, threshold or
    /// length, two different shares with the same x, and shares that do not lie
    /// on the polynomial of the others are reported by their 1-based position in
    /// `shares` where that can be determined.
    public static func combine(_ shares: [ArborShare]) throws -> [UInt8] {
        // A set has at most 255 distinct shares; a longer list is refused before any work on it.
        guard shares.count <= maximumShareCount else {
            throw CustodyError(.limitExceeded, "\(shares.count) shares were given; a set has at most \(maximumShareCount)")
        }
        guard let reference = mostCommonSetHeader(of: shares) else {
            throw CustodyError(.insufficientShares, "no shares were given")
        }
        for (offset, share) in shares.enumerated() where SetHeader(share) != reference {
            throw CustodyError(
                .inconsistentShares,
                "share #\(offset + 1) (\(share)) does not belong with the others "
                    + "(set \(ArborShare.hexIdentifier(reference.setIdentifier)), threshold \(reference.threshold), "
                    + "secretLength \(reference.secretLength))",
                shareNumber: offset + 1
            )
        }

        // Identical copies of a share are harmless; two different values for one x are not.
        var distinct = [(number: Int, share: ArborShare)]()
        for (offset, share) in shares.enumerated() {
            if let earlier = distinct.first(where: { $0.share.x == share.x }) {
                guard earlier.share == share else {
                    throw CustodyError(
                        .duplicateShare,
                        "shares #\(earlier.number) and #\(offset + 1) both have x = \(share.x) but different values",
                        shareNumber: offset + 1
                    )
                }
                continue
            }
            distinct.append((offset + 1, share))
        }
        guard distinct.count >= reference.threshold else {
            throw CustodyError(
                .insufficientShares,
                "set \(ArborShare.hexIdentifier(reference.setIdentifier)) needs \(reference.threshold) distinct shares, got \(distinct.count)"
            )
        }

        let points = distinct.map { Polynomial.Point(x: $0.share.x, y: $0.share.value) }
        let chosen = Array(points.prefix(reference.threshold))
        if let secret = recoverChecked(from: chosen, reference: reference) {
            // Extra shares must lie on the same polynomial: otherwise one of them was altered.
            for (index, extra) in points.enumerated().dropFirst(reference.threshold)
            where Polynomial.interpolate(chosen, at: extra.x) != extra.y {
                let number = distinct[index].number
                throw CustodyError(
                    .digestMismatch,
                    "share #\(number) (x = \(extra.x)) is inconsistent with the others: it was altered or forged",
                    shareNumber: number
                )
            }
            return secret
        }
        throw blameInconsistentShare(points: points, numbers: distinct.map(\.number), reference: reference)
    }

    /// With more shares than the threshold, finds the single share whose removal
    /// makes the rest combine correctly, so the error can name it.
    private static func blameInconsistentShare(points: [Polynomial.Point], numbers: [Int], reference: SetHeader) -> CustodyError {
        var culprits = [Int]()
        if points.count > reference.threshold {
            for excluded in points.indices {
                var others = points
                others.remove(at: excluded)
                if recoverChecked(from: Array(others.prefix(reference.threshold)), reference: reference) != nil {
                    culprits.append(excluded)
                }
            }
        }
        if culprits.count == 1, let culprit = culprits.first {
            return CustodyError(
                .digestMismatch,
                "share #\(numbers[culprit]) (x = \(points[culprit].x)) is inconsistent with the others: it was altered or forged",
                shareNumber: numbers[culprit]
            )
        }
        return CustodyError(
            .digestMismatch,
            "the shares do not combine to the secret they were split from: at least one was altered or forged"
        )
    }

    /// Interpolates at x = 0 and returns the secret only if its digest matches.
    private static func recoverChecked(from points: [Polynomial.Point], reference: SetHeader) -> [UInt8]? {
        var combined = Polynomial.interpolate(points, at: 0)
        defer { combined.wipe() }
        let secret = Array(combined[..<reference.secretLength])
        let expected = digest(of: secret, setIdentifier: reference.setIdentifier)
        guard constantTimeEqual(expected, Array(combined[reference.secretLength...])) else {
            return nil
        }
        return secret
    }

    /// First 16 bytes of HMAC-SHA256(key: "arbor-share-v1 secret digest", set identifier || secret).
    static func digest(of secret: [UInt8], setIdentifier: UInt32) -> [UInt8] {
        var mac = HMAC<SHA256>(key: digestKey)
        mac.update(data: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: setIdentifier >> $0) })
        mac.update(data: secret)
        return Array(mac.finalize().prefix(ArborShare.digestLength))
    }

    /// The fields every share of one set has in common.
    private struct SetHeader: Hashable {
        var setIdentifier: UInt32
        var threshold: Int
        var secretLength: Int

        init(_ share: ArborShare) {
            setIdentifier = share.setIdentifier
            threshold = share.threshold
            secretLength = share.secretLength
        }
    }

    /// The header most shares carry (the earliest one on a tie), so a lone
    /// stray share is the one reported rather than the first.
    private static func mostCommonSetHeader(of shares: [ArborShare]) -> SetHeader? {
        var counts = [SetHeader: Int]()
        for share in shares { counts[SetHeader(share), default: 0] += 1 }
        var best: (header: SetHeader, count: Int)?
        for share in shares {
            let header = SetHeader(share)
            let count = counts[header, default: 0]
            if count > best?.count ?? 0 { best = (header, count) }
        }
        return best?.header
    }
}
