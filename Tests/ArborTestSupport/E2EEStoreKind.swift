import ArborOperations
import ArborServer

/// The `E2EEStore` implementations the E2EE tests run against, each made fresh for one test:
/// the route tests take a kind as their argument, so every store passes the same tests.
public enum E2EEStoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite

    /// The kinds this machine can run (all of them unless one needs a server that is missing).
    public static var available: [E2EEStoreKind] { allCases }

    /// A new, empty store; `directory` is a fresh directory the caller removes afterwards.
    public func make(in directory: String) async throws -> any E2EEStore {
        switch self {
        case .sqlite: try SQLiteE2EEStore(directory: directory)
        }
    }

    public var description: String { rawValue }
}
