/// Base64url without padding (RFC 4648 §5), the body of `arbor:v1:` tokens. Tokens are
/// ciphertext, not secrets, so the encoder looks characters up in a table (the constant-time
/// `Base64` is for secrets); it works on bytes, with no Foundation string searching, because every
/// encrypt and decrypt request of the node goes through it.
package enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let count = (input.count * 4 + 2) / 3
        guard count > 0 else { return "" }
        return String(unsafeUninitializedCapacity: count) { output in
            alphabet.withUnsafeBufferPointer { alphabet in
                input.withUnsafeBufferPointer { input in
                    var out = 0
                    var index = 0
                    while index < input.count {
                        let remaining = input.count - index
                        let group =
                            UInt32(input[index]) << 16 | (remaining > 1 ? UInt32(input[index + 1]) << 8 : 0)
                            | (remaining > 2 ? UInt32(input[index + 2]) : 0)
                        output[out] = alphabet[Int(group >> 18 & 0x3f)]
                        output[out + 1] = alphabet[Int(group >> 12 & 0x3f)]
                        if remaining > 1 { output[out + 2] = alphabet[Int(group >> 6 & 0x3f)] }
                        if remaining > 2 { output[out + 3] = alphabet[Int(group & 0x3f)] }
                        out += min(remaining, 3) + 1
                        index += 3
                    }
                }
            }
            return count
        }
    }

    /// The bytes that the characters `text` (UTF-8) of canonical unpadded base64url stand for; nil for any other character (`+`, `/` and
    /// `=` included), an impossible length, or non-zero unused bits.
    package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var characters = Array(text)
        guard characters.count % 4 != 1 else { return nil }
        for index in characters.indices {
            switch characters[index] {
            case UInt8(ascii: "-"): characters[index] = UInt8(ascii: "+")
            case UInt8(ascii: "_"): characters[index] = UInt8(ascii: "/")
            case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="): return nil
            default: break
            }
        }
        characters += repeatElement(UInt8(ascii: "="), count: (4 - characters.count % 4) % 4)
        return characters.withUnsafeBytes { base64 -> [UInt8]? in
            guard let count = Base64.decodedCount(base64) else { return nil }
            var decoded = [UInt8](repeating: 0, count: count)
            let valid = decoded.withUnsafeMutableBytes { Base64.decode(base64, into: $0) }
            return valid ? decoded : nil
        }
    }
}
