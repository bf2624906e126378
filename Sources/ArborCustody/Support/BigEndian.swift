/// RFC 8554 writes every count and type code as a big-endian u32.
extension Array where Element == UInt8 {
    mutating func appendUInt32(_ value: UInt32) {
        append(contentsOf: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) })
    }
}
