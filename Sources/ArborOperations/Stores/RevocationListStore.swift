import ArborCore

/// A revocation list that receives new entries (`RevocationListFile` in ArborKeyStore for files).
/// The store moves bytes; that a list only ever grows is ``RevocationListStore/add(_:)``'s rule.
public protocol RevocationListStore {
    /// The list held; an empty list when there is none yet.
    func load() throws -> RevocationList
    /// Replaces the list held.
    func save(_ list: RevocationList) throws
}

extension RevocationListStore {
    /// Adds a revocation to the list held: entries merge as a set, so adding never drops one.
    /// Returns the list as saved.
    public func add(_ revocation: Revocation) throws -> RevocationList {
        var list = try load()
        list.merge([revocation])
        try save(list)
        return list
    }
}
