import Crypto
import Foundation

/// Random bytes from the operating system's CSPRNG, for clients without a good one.
public struct RandomService: Sendable {
    let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    /// `count` random bytes, base64; 1 to `limit`.
    public func randomBase64(count: Int) throws -> String {
        guard (1...limit).contains(count) else {
            throw NodeError(.invalidRequest, "the number of random bytes must be between 1 and \(limit)")
        }
        return SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Data($0).base64EncodedString() }
    }
}
