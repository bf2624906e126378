import ArborCore
import ArborCustody
import ArborKeyStore
import ArborOperations
import Foundation

/// Standard input, whole, as bytes (at most 16 MiB). The caller wipes them if they are secret.
func readStandardInput() throws -> [UInt8] {
    try StandardInput.claim(for: "the data")
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard data.count <= 16 << 20 else { throw ArborError(.malformedInput, "standard input is larger than 16 MiB") }
    return Array(data)
}

/// Reads a public binary file (RFC 8554 key or signature, delegation, request) written either as
/// raw bytes or as hexadecimal text. The two cannot be confused: every one of these encodings
/// starts with a zero byte, which is not a hex digit.
func readPublicBytes(_ path: String) throws -> [UInt8] {
    try readingFile(path) { try PublicBytes.decode(try SecureFile.readBytes(path)) }
}

/// Writes a public binary file, as raw bytes or, with `hex`, one line of lower-case hex.
func writePublicBytes(_ bytes: [UInt8], to path: String, hex: Bool, overwrite: Bool = false) throws {
    if hex {
        try SecureFile.write(Hex.encode(bytes) + "\n", to: path, mode: .public, overwrite: overwrite)
    } else {
        try SecureFile.write(bytes: bytes, to: path, mode: .public, overwrite: overwrite)
    }
}

/// A SLIP-39 passphrase from the first line of a file; "" without one. Printable ASCII only.
func readSLIP39Passphrase(_ path: String?) throws -> String {
    guard let path else { return "" }
    let secret = try PassphraseSource.file(path).read(prompt: "")
    return secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
}
