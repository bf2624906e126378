/// One rule of a token's policy: these operations, on keyrings whose names match these
/// patterns. Anything no rule allows is denied.
public struct PolicyRule: Codable, Sendable, Hashable {
    public static let maximumOperations = 64
    public static let maximumPatterns = 64

    public let operations: [Operation]
    /// Only consulted for keyring-scoped operations; may be empty for rules without any.
    public let keyrings: [KeyringPattern]

    public init(operations: [Operation], keyrings: [KeyringPattern] = []) throws {
        guard !operations.isEmpty, operations.count <= Self.maximumOperations else {
            throw NodeError(.invalidRequest, "a policy rule needs 1 to \(Self.maximumOperations) operations")
        }
        guard keyrings.count <= Self.maximumPatterns else {
            throw NodeError(.invalidRequest, "a policy rule may name at most \(Self.maximumPatterns) keyring patterns")
        }
        if operations.contains(where: \.isKeyringScoped), keyrings.isEmpty {
            throw NodeError(
                .invalidRequest, "a rule with keyring operations must name the keyrings (patterns such as \"payments-*\" or \"*\")")
        }
        self.operations = operations
        self.keyrings = keyrings
    }

    private enum CodingKeys: String, CodingKey { case operations, keyrings }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let names = try container.decode([String].self, forKey: .operations)
        let operations = try names.map { name in
            guard let operation = Operation(rawValue: name) else {
                throw NodeError(.invalidRequest, "unknown operation '\(name.prefix(64))' in a policy rule")
            }
            return operation
        }
        try self.init(operations: operations, keyrings: try container.decodeIfPresent([KeyringPattern].self, forKey: .keyrings) ?? [])
    }

    public func allows(_ operation: Operation, keyring: String?) -> Bool {
        guard operations.contains(operation) else { return false }
        guard operation.isKeyringScoped else { return true }
        guard let keyring else { return false }
        return keyrings.contains { $0.matches(keyring) }
    }

    /// Whether everything this rule allows, `other` allows too: a token may only hand on rights
    /// it holds.
    func isCovered(by rules: [PolicyRule]) -> Bool {
        operations.allSatisfy { operation in
            if !operation.isKeyringScoped { return rules.contains { $0.operations.contains(operation) } }
            return keyrings.allSatisfy { pattern in
                rules.contains { $0.operations.contains(operation) && $0.keyrings.contains { $0.covers(pattern) } }
            }
        }
    }
}
