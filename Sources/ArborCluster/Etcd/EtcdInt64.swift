/// An int64 field of etcd's JSON gateway. The gateway writes 64-bit integers as JSON strings
/// ("revision":"12") so that JavaScript cannot round them; it accepts both strings and numbers.
struct EtcdInt64: Codable, Sendable, Hashable {
    var value: Int64

    init(_ value: Int64) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = Int64(text) {
            self.value = value
        } else {
            value = try container.decode(Int64.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

extension Optional where Wrapped == EtcdInt64 {
    /// The gateway leaves out fields at their zero value (an absent "version" is version 0).
    var orZero: Int64 { self?.value ?? 0 }
}
