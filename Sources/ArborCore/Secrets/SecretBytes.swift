#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Secret bytes of any length (passphrases, decoded secret fields): wiped when the last copy goes,
/// compared in constant time, never printed.
///
/// Fixed-size keys use swift-crypto's `SymmetricKey`, which has the same guarantees; this type is
/// for the variable-length secrets that have no better home.
public struct SecretBytes: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    private final class Storage: @unchecked Sendable {
        // Written only in `init`, then read-only until `deinit` wipes it: safe to share.
        let pointer: UnsafeMutableRawBufferPointer

        init(count: Int) {
            pointer = .allocate(byteCount: max(count, 1), alignment: 16)
            pointer.initializeMemory(as: UInt8.self, repeating: 0)
            self.count = count
        }

        let count: Int

        deinit {
            SecretBytes.wipe(pointer)
            pointer.deallocate()
        }
    }

    private let storage: Storage

    /// Copies the bytes straight into wiped-on-release memory (no intermediate array, which would
    /// leave a copy in freed memory).
    public init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        let storage = Storage(count: bytes.count)
        self.storage = storage
        // Contiguous bytes (arrays, Data, buffers) are copied at once; the loop is for the rest.
        let copied = bytes.withContiguousStorageIfAvailable { source in
            storage.pointer.copyMemory(from: UnsafeRawBufferPointer(source))
        }
        if copied == nil {
            for (index, byte) in zip(0..<storage.count, bytes) { storage.pointer[index] = byte }
        }
    }

    /// Lets `body` fill `count` fresh bytes in place; if it throws, the bytes are wiped.
    public init(count: Int, initializingWith body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        storage = Storage(count: count)
        try body(UnsafeMutableRawBufferPointer(rebasing: storage.pointer[0..<count]))
    }

    /// The first `count` bytes, as a new secret.
    public func prefix(_ count: Int) -> SecretBytes {
        withUnsafeBytes { SecretBytes(copying: $0.prefix(count)) }
    }

    /// Takes the bytes and wipes the caller's array.
    public init(consuming bytes: inout [UInt8]) {
        storage = Storage(count: bytes.count)
        for (index, byte) in bytes.enumerated() { storage.pointer[index] = byte }
        bytes.withUnsafeMutableBytes { SecretBytes.wipe($0) }
        bytes.removeAll()
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage.pointer[0..<storage.count]))
    }

    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in constantTimeEqual(a, b) }
        }
    }

    public var description: String { "SecretBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }

    /// Zeroes memory in a way the optimiser may not remove.
    public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Glibc) || canImport(Musl)
            explicit_bzero(base, buffer.count)
        #elseif canImport(Darwin)
            _ = memset_s(base, buffer.count, 0, buffer.count)
        #else
            for index in 0..<buffer.count { buffer.storeBytes(of: 0, toByteOffset: index, as: UInt8.self) }
        #endif
    }
}

extension Array where Element == UInt8 {
    /// Overwrites the array's bytes with zeroes before it is released.
    public mutating func wipe() {
        withUnsafeMutableBytes { SecretBytes.wipe($0) }
    }
}
