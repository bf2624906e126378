/// Appends big-endian integers and length-prefixed fields: the building block of every Arbor
/// binary encoding (see docs/keys.md, "Conventions").
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init() {}

    /// Reserves the whole encoding at once: growing would leave copies of a secret in freed memory.
    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func append(_ value: UInt8) { bytes.append(value) }

    mutating func append(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func append(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func append(_ value: Int64) {
        let raw = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: raw >> shift)) }
    }

    mutating func append<Bytes: Sequence>(raw: Bytes) where Bytes.Element == UInt8 { bytes.append(contentsOf: raw) }

    /// A field with a 1-byte length prefix; callers guarantee count < 256.
    mutating func append(short field: [UInt8]) {
        append(UInt8(field.count))
        append(raw: field)
    }

    /// Zeroes the buffer in place, for encodings that held a secret.
    mutating func wipe() { bytes.wipe() }

    /// A field with a 4-byte length prefix.
    mutating func append(long field: [UInt8]) {
        append(UInt32(field.count))
        append(raw: field)
    }
}
