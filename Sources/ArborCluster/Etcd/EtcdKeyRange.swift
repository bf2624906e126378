import Foundation

/// Keys and key ranges as etcd sees them: bytes, base64 in the gateway's JSON.
enum EtcdKeyRange {
    /// The end of the range holding every key that starts with `prefix`: the prefix with its last
    /// byte below 0xff incremented and what follows it dropped ("a/" → "a0"). A prefix of only
    /// 0xff bytes, or the empty prefix, has no such end: "\0" means "to the end of the keyspace".
    static func end(ofPrefix prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }

    static func key(_ key: String) -> Data { Data(key.utf8) }

    /// The first key of the range under `prefix`: the prefix itself, except that etcd refuses an
    /// empty key, and spells "from the first key" as "\0".
    static func start(ofPrefix prefix: String) -> Data { prefix.isEmpty ? Data([0]) : key(prefix) }
}
