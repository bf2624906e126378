/// One condition of a transaction: a key's value, version, create revision or mod revision,
/// compared with a given one. A key that does not exist has version, create revision and mod
/// revision 0, so `version(of: key, .equal, 0)` means "the key is absent".
public struct EtcdCompare: Sendable, Hashable {
    public enum Result: String, Sendable, Hashable {
        case equal = "EQUAL"
        case greater = "GREATER"
        case less = "LESS"
        case notEqual = "NOT_EQUAL"
    }

    enum Target: Sendable, Hashable {
        case value([UInt8])
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
    }

    let key: String
    let result: Result
    let target: Target

    public static func value(of key: String, _ result: Result, _ value: [UInt8]) -> EtcdCompare {
        EtcdCompare(key: key, result: result, target: .value(value))
    }

    public static func version(of key: String, _ result: Result, _ version: Int64) -> EtcdCompare {
        EtcdCompare(key: key, result: result, target: .version(version))
    }

    public static func createRevision(of key: String, _ result: Result, _ revision: Int64) -> EtcdCompare {
        EtcdCompare(key: key, result: result, target: .createRevision(revision))
    }

    public static func modRevision(of key: String, _ result: Result, _ revision: Int64) -> EtcdCompare {
        EtcdCompare(key: key, result: result, target: .modRevision(revision))
    }
}
