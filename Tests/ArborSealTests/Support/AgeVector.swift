import Crypto
import Foundation

/// One CCTV age test vector (C2SP/CCTV `age/README.md`): `key: value` lines, a blank line, then
/// the age file, possibly zlib-compressed.
struct AgeVector: CustomStringConvertible, Sendable {
    let name: String
    let expect: String
    let payloadHash: [UInt8]?
    let fileKey: [UInt8]?
    let identities: [String]
    let passphrases: [String]
    let armored: Bool
    let compressed: Bool
    let file: [UInt8]

    var description: String { name }

    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Vectors/age")

    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    static func load(_ name: String) throws -> AgeVector {
        let contents = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        var expect = ""
        var payloadHash: [UInt8]?
        var fileKey: [UInt8]?
        var identities: [String] = []
        var passphrases: [String] = []
        var armored = false
        var compressed = false
        var position = 0
        while true {
            guard let newline = contents[position...].firstIndex(of: 0x0A) else { throw Malformed(name: name) }
            let line = String(decoding: contents[position..<newline], as: UTF8.self)
            position = newline + 1
            if line.isEmpty { break }
            guard let separator = line.range(of: ": ") else { throw Malformed(name: name) }
            let key = String(line[..<separator.lowerBound])
            let value = String(line[separator.upperBound...])
            switch key {
            case "expect": expect = value
            case "payload": payloadHash = try hex(value)
            case "file key": fileKey = try hex(value)
            case "identity": identities.append(value)
            case "passphrase": passphrases.append(value)
            case "armored": armored = value == "yes"
            case "compressed":
                guard value == "zlib" else { throw Malformed(name: name) }
                compressed = true
            case "comment": break
            default: throw Malformed(name: name)
            }
        }
        var file = Array(contents[position...])
        if compressed { file = try Inflate.zlib(file) }
        return AgeVector(
            name: name, expect: expect, payloadHash: payloadHash, fileKey: fileKey, identities: identities, passphrases: passphrases,
            armored: armored, compressed: compressed, file: file)
    }

    struct Malformed: Error, CustomStringConvertible {
        let name: String
        var description: String { "test vector \(name) does not follow the CCTV format" }
    }

    private static func hex(_ text: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw Malformed(name: text) }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw Malformed(name: text)
            }
            return byte
        }
    }
}

func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
