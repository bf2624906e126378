/// Compares two byte strings without an early exit on the first difference, so the time taken
/// says nothing about where they differ (only whether their lengths do).
///
/// The one copy for the package: Core's `SecretBytes`, Custody's share digests and the server's
/// token checks use it.
package func constantTimeEqual<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}
