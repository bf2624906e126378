import ArborCore

/// The rules for a batch of token operations on one keyring: at most `maximumItems` items, each
/// with its own context, each answered on its own so that one bad item does not fail the others.
public enum KeyringBatch {
    /// As Vault Transit's batches; a larger batch is refused before any work.
    public static let maximumItems = 1000

    /// One item: what to seal, open or rewrap, and the context it is bound to.
    public struct Item<Input: Sendable>: Sendable {
        public let input: Input
        public let context: [UInt8]

        public init(_ input: Input, context: [UInt8]) {
            self.input = input
            self.context = context
        }
    }

    /// What the caller read of one item: the item, or why it could not be read (then it fails alone).
    public typealias Read<Input: Sendable> = Result<Item<Input>, ArborError>

    /// Refuses an empty batch, or one over ``maximumItems``.
    public static func check(count: Int) throws {
        guard count > 0 else { throw ArborError(.invalidArgument, "batch_input holds no item") }
        guard count <= maximumItems else {
            throw ArborError(.limitExceeded, "a batch holds at most \(maximumItems) items; this one holds \(count)")
        }
    }

    /// Runs `body` on every readable item; an item that throws fails alone.
    static func each<Input, Output>(_ items: [Read<Input>], _ body: (Item<Input>) throws -> Output) -> [Result<Output, ArborError>] {
        items.map { read in
            read.flatMap { item in
                Result { try body(item) }.mapError { error in
                    error as? ArborError ?? ArborError(.malformedInput, "the item could not be processed")
                }
            }
        }
    }
}

extension KeyringOperations {
    /// Seals each plaintext with the keyring's active epoch (the keyring is read once), each with
    /// a hybrid origin signature by `signer` when given.
    public func sealEach(
        _ reference: String, _ items: [KeyringBatch.Read<[UInt8]>], origin: TreePath, time: Int64, signer: NodeKeySet? = nil
    ) throws -> [Result<MeshToken, ArborError>] {
        try KeyringBatch.check(count: items.count)
        let keyring = try store.load(reference)
        return KeyringBatch.each(items) { item in
            try keyring.seal(item.input, context: item.context, origin: origin, time: time, signer: signer, signature: .hybrid)
        }
    }

    /// Opens each token given as text; a token that does not authenticate fails alone.
    public func openEach(_ reference: String, _ items: [KeyringBatch.Read<String>]) throws -> [Result<[UInt8], ArborError>] {
        try KeyringBatch.check(count: items.count)
        let keyring = try store.load(reference)
        return KeyringBatch.each(items) { item in
            try keyring.open(try MeshToken(text: item.input), context: item.context)
        }
    }

    /// Moves each token to the active epoch without showing its plaintext.
    public func rewrapEach(
        _ reference: String, _ items: [KeyringBatch.Read<String>], origin: RewrapOrigin, time: Int64
    ) throws -> [Result<MeshToken, ArborError>] {
        try KeyringBatch.check(count: items.count)
        let keyring = try store.load(reference)
        return KeyringBatch.each(items) { item in
            try rewrap(item.input, in: keyring, context: item.context, origin: origin, time: time)
        }
    }

    /// Rewraps one token of the keyring at `reference`.
    public func rewrap(_ reference: String, tokenText: String, context: [UInt8], origin: RewrapOrigin, time: Int64) throws
        -> MeshToken
    {
        try rewrap(tokenText, in: try store.load(reference), context: context, origin: origin, time: time)
    }
}
