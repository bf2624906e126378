import Foundation

/// SplitMix64: a tiny, fully specified generator, so that vectors built from "fixed randomness"
/// can be reproduced by anyone and a random test can be replayed from its printed seed. Never use
/// it for real keys.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for a test that wants fresh inputs at every run: seeded from
    /// `ARBOR_TEST_SEED` if set, else at random, and the seed printed, so a failure can be replayed
    /// with `ARBOR_TEST_SEED=<seed> swift test --filter <test>`.
    public static func seeded(for test: String) -> SplitMix64 {
        var system = SystemRandomNumberGenerator()
        let seed = ProcessEnvironment.value("ARBOR_TEST_SEED").flatMap { UInt64($0) } ?? system.next()
        print("random seed for \(test): \(seed) (replay with ARBOR_TEST_SEED=\(seed))")
        return SplitMix64(seed: seed)
    }
}
