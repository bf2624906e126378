import ArborTestSupport
import Foundation
import Testing

@testable import ArborCore

/// The constant-time base64 that armors secrets, against Foundation's on every length, and its
/// refusal of anything but canonical input.
@Suite("Constant-time base64")
struct Base64Tests {
    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8](repeating: 0, count: Base64.encodedCount(bytes.count))
        bytes.withUnsafeBytes { input in output.withUnsafeMutableBytes { Base64.encode(input, into: $0) } }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        return input.withUnsafeBytes { input in
            guard let count = Base64.decodedCount(input) else { return nil }
            var output = [UInt8](repeating: 0, count: count)
            let valid = output.withUnsafeMutableBytes { Base64.decode(input, into: $0) }
            return valid ? output : nil
        }
    }

    @Test("encodes as Foundation does, and decodes back, for every length from 0 to 300")
    func matchesFoundation() {
        var generator = SplitMix64.seeded(for: "base64")
        for length in 0...300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Self.encode(bytes)
            #expect(text == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(Self.decode(text) == bytes, "length \(length)")
        }
        // Every byte value in every position of a group.
        let all = (0...255).map { UInt8($0) }
        for shift in 0..<3 {
            let bytes = Array(all.dropFirst(shift))
            #expect(Self.decode(Data(bytes).base64EncodedString()) == bytes)
        }
    }

    @Test("refuses characters outside the alphabet, misplaced padding, stray bits and bad lengths")
    func refusesNonCanonical() {
        for text in [
            "QQ", "QQ=", "QQ===", "Q===", "====",  // lengths and padding
            "QR==", "QUJ=",  // unused bits set (canonical: QQ==, QUI=)
            "QQ==QQ==", "Q=Q=",  // padding inside
            "QU J", "QUJ\n", "QUJ-", "QUJ_", "QUJ\0", "QUJé",  // outside the alphabet (URL-safe too)
        ] {
            #expect(Self.decode(text) == nil, "'\(text)'")
        }
        #expect(Self.decode("") == [])
        #expect(Self.decode("QQ==") == [0x41])
        #expect(Self.decode("QUI=") == [0x41, 0x42])
        #expect(Self.decode("+/+/") == [0xfb, 0xff, 0xbf])
    }
}
