#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Owns secret bytes (seeds, polynomial coefficients) and overwrites them with
/// zeros when the last reference goes away, so they do not linger in freed heap
/// memory. Copies made by reading ``bytes`` are the caller's to keep short-lived.
final class SecretBuffer: @unchecked Sendable {
    // @unchecked: the storage is written only during init and deinit.
    private var storage: [UInt8]

    init(_ bytes: [UInt8]) {
        storage = bytes
    }

    var count: Int { storage.count }

    func withBytes<Result>(_ body: ([UInt8]) throws -> Result) rethrows -> Result {
        try body(storage)
    }

    deinit {
        storage.withUnsafeMutableBytes { buffer in
            SecretBuffer.wipe(buffer)
        }
    }

    /// Overwrites `buffer` with zeros in a way the optimiser may not drop.
    static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        #if canImport(Glibc) || canImport(Musl)
            explicit_bzero(base, buffer.count)
        #elseif canImport(Darwin)
            _ = memset_s(base, buffer.count, 0, buffer.count)
        #else
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
        #endif
    }

    /// Zeroes a local array that held secret bytes.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { wipe($0) }
    }
}
