import ArborCore
import Crypto

/// SLIP-39's single-level Shamir scheme: the secret sits at x = 255 and a
/// digest of it at x = 254, so a wrong set of shares is detected on recovery.
enum SLIP39SecretSharing {
    static let secretIndex: UInt8 = 255
    static let digestIndex: UInt8 = 254
    static let digestLength = 4

    /// Shares for x = 0…shareCount-1. Callers validate 1 ≤ threshold ≤ shareCount ≤ 16
    /// and a secret length of at least 16 bytes.
    static func split(
        threshold: Int, shareCount: Int, secret: [UInt8], using generator: inout some RandomNumberGenerator
    ) -> [[UInt8]] {
        guard threshold > 1 else {
            return Array(repeating: secret, count: shareCount)
        }
        let randomPart = generator.randomBytes(count: secret.count - digestLength)
        let digestValue = digest(randomPart: randomPart, secret: secret) + randomPart
        var basePoints = (0..<(threshold - 2)).map { x in
            Polynomial.Point(x: UInt8(x), y: generator.randomBytes(count: secret.count))
        }
        let baseShares = basePoints.map(\.y)
        basePoints.append(Polynomial.Point(x: digestIndex, y: digestValue))
        basePoints.append(Polynomial.Point(x: secretIndex, y: secret))
        let derivedShares = ((threshold - 2)..<shareCount).map { x in
            Polynomial.interpolate(basePoints, at: UInt8(x))
        }
        return baseShares + derivedShares
    }

    /// Recovers the secret from exactly `threshold` points with distinct x,
    /// or nil if the digest does not match.
    static func recover(threshold: Int, points: [Polynomial.Point]) -> [UInt8]? {
        guard threshold > 1 else {
            return points.first?.y
        }
        let secret = Polynomial.interpolate(points, at: secretIndex)
        let digestValue = Polynomial.interpolate(points, at: digestIndex)
        let randomPart = Array(digestValue[digestLength...])
        guard constantTimeEqual(digest(randomPart: randomPart, secret: secret), Array(digestValue[..<digestLength])) else {
            return nil
        }
        return secret
    }

    private static func digest(randomPart: [UInt8], secret: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: secret, using: SymmetricKey(data: randomPart)).prefix(digestLength))
    }
}
