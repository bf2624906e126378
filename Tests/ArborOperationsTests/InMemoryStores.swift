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

/// A trust store in memory.
struct InMemoryTrustStore: TrustStore {
    var stored: [TrustBundle] = []
    func bundles() throws -> [TrustBundle] { stored }
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
