import ArborCore
import ArborOperations

/// A keyring store in memory: what the server's database store must behave like.
final class InMemoryKeyringStore: KeyringStore {
    private(set) var keyrings: [String: MeshKeyring] = [:]
    private(set) var writes = 0

    func name(for reference: String) -> String { reference }
    func location(of reference: String) -> String { "memory:\(reference)" }

    func load(_ reference: String) throws -> MeshKeyring {
        guard let keyring = keyrings[reference] else { throw ArborError(.fileNotFound, "no keyring '\(reference)'") }
        return keyring
    }

    func create(_ keyring: MeshKeyring, at reference: String) throws {
        guard keyrings[reference] == nil else { throw ArborError(.fileExists, "'\(reference)' exists") }
        keyrings[reference] = keyring
        writes += 1
    }

    func update(_ reference: String, _ change: (inout MeshKeyring) throws -> Bool) throws -> MeshKeyring {
        var keyring = try load(reference)
        if try change(&keyring) {
            keyrings[reference] = keyring
            writes += 1
        }
        return keyring
    }
}

/// A trust store in memory: one bundle per root, as the directory store keeps them.
final class InMemoryTrustStore: WritableTrustStore {
    private(set) var stored: [TrustBundle]
    private(set) var saves = 0

    init(stored: [TrustBundle] = []) { self.stored = stored }

    var location: String { "memory" }
    func bundles() throws -> [TrustBundle] { stored }

    func save(_ bundle: TrustBundle) throws {
        stored.removeAll { $0.anchor.keyID == bundle.anchor.keyID }
        stored.append(bundle)
        saves += 1
    }

    func remove(root: KeyID) throws { stored.removeAll { $0.anchor.keyID == root } }
}

/// A state blob in memory.
final class InMemoryStateStore: StateStore {
    var state: [UInt8]?
    func update<Result>(_ body: (inout [UInt8]?) throws -> Result) throws -> Result {
        var copy = state
        let result = try body(&copy)
        state = copy
        return result
    }
}

extension InMemoryKeyringStore: KeyringCatalog {
    func references() throws -> [String] { keyrings.keys.sorted() }
}

/// One HSS key and its leaf state in memory.
final class InMemoryLeafStateStore: LeafStateStore {
    var key: String
    var state: [UInt8]?

    init(key: String, state: [UInt8]?) {
        self.key = key
        self.state = state
    }

    var keyName: String { "memory.hss" }
    var stateName: String { "memory.hss.state" }

    func readKey() throws -> String { key }
    func replaceKey(_ armored: String) throws { key = armored }
    func withExclusiveAccess<Result>(_ body: () throws -> Result) throws -> Result { try body() }
    func stateExists() -> Bool { state != nil }

    func readState() throws -> [UInt8] {
        guard let state else { throw ArborError(.fileNotFound, "no state") }
        return state
    }

    func createState(_ bytes: [UInt8]) throws {
        guard state == nil else { throw ArborError(.fileExists, "a state exists") }
        state = bytes
    }

    func replaceState(_ bytes: [UInt8]) throws { state = bytes }

    var treeCache: [UInt8]?
    func readTreeCache() -> [UInt8]? { treeCache }
    func replaceTreeCache(_ bytes: [UInt8]) throws { treeCache = bytes }
}

/// A revocation list in memory.
final class InMemoryRevocationListStore: RevocationListStore {
    private(set) var list: RevocationList?
    private(set) var saves = 0

    func load() throws -> RevocationList { list ?? RevocationList() }

    func save(_ list: RevocationList) throws {
        self.list = list
        saves += 1
    }
}
