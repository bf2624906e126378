import ArborCore
import Crypto

/// The textual header of an age v1 file: the version line, one or more recipient stanzas, and the
/// MAC line. `encoded` holds the exact bytes, which the MAC covers up to and including `---`.
public struct AgeHeader: Sendable {
    public static let versionLine = Array("age-encryption.org/v1".utf8)
    static let versionPrefix = Array("age-encryption.org/".utf8)
    static let columnsPerLine = 64
    static let bytesPerLine = columnsPerLine / 4 * 3
    static let macSize = 32
    /// Headers larger than this are refused, so a reader's memory stays bounded (about 800
    /// post-quantum stanzas fit).
    public static let maximumSize = 1 << 20

    public let stanzas: [AgeStanza]
    public let mac: [UInt8]
    /// The header bytes exactly as read or written, ending with the newline after the MAC.
    public let encoded: [UInt8]

    init(stanzas: [AgeStanza], mac: [UInt8], encoded: [UInt8]) {
        self.stanzas = stanzas
        self.mac = mac
        self.encoded = encoded
    }

    /// Parses a header at the start of `bytes`; the payload starts at `encoded.count`.
    public init(parsing bytes: [UInt8]) throws {
        var parser = AgeHeaderParser()
        guard let header = try parser.parse(bytes, atEnd: true) else {
            throw ArborError.ageHeader("the file ends inside its header")
        }
        self = header
    }

    /// Builds the header for `stanzas` and authenticates it with the file key.
    static func seal(stanzas: [AgeStanza], fileKey: SymmetricKey) -> AgeHeader {
        var encoded = versionLine + [UInt8(ascii: "\n")]
        for stanza in stanzas { encoded += stanza.encoded }
        encoded += Array("---".utf8)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: encoded, using: macKey(fileKey)))
        encoded += [UInt8(ascii: " ")] + AgeBase64.encode(mac, padded: false) + [UInt8(ascii: "\n")]
        return AgeHeader(stanzas: stanzas, mac: mac, encoded: encoded)
    }

    /// The bytes the MAC covers: everything up to and including `---`.
    var authenticatedBytes: ArraySlice<UInt8> {
        // After "---" come a space, 43 base64 characters and a newline.
        encoded[..<(encoded.count - 45)]
    }

    /// Checks the MAC in constant time.
    func verifyMAC(fileKey: SymmetricKey) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: authenticatedBytes, using: Self.macKey(fileKey))
    }

    /// HMAC key = HKDF-SHA-256(ikm = file key, salt = empty, info = "header").
    static func macKey(_ fileKey: SymmetricKey) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, info: Array("header".utf8), outputByteCount: 32)
    }
}

/// Parses a header incrementally, line by line, as bytes arrive; strict per the age v1 ABNF.
struct AgeHeaderParser {
    private enum State {
        case version
        case stanzaOrMAC
        case body(type: String, arguments: [String], body: [UInt8])
    }

    private var state = State.version
    private var offset = 0
    private var stanzas: [AgeStanza] = []

    /// The header once `buffer` holds all of it (nil: more bytes needed). `buffer` must only grow
    /// between calls. With `atEnd`, a header that is not complete is an error.
    mutating func parse(_ buffer: [UInt8], atEnd: Bool) throws -> AgeHeader? {
        while true {
            guard let newline = buffer[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
                try checkIncompleteLine(buffer[offset...], atEnd: atEnd)
                return nil
            }
            let line = buffer[offset..<newline]
            let lineStart = offset
            offset = newline + 1
            if let header = try parseLine(line, lineStart: lineStart, buffer: buffer) { return header }
        }
    }

    private func checkIncompleteLine(_ partial: ArraySlice<UInt8>, atEnd: Bool) throws {
        if atEnd {
            throw ArborError.ageHeader(offset == 0 && partial.isEmpty ? "the file is empty" : "the file ends inside its header")
        }
        if case .version = state {
            // Fail early on something that is not an age file at all.
            let prefixLength = min(partial.count, AgeHeader.versionPrefix.count)
            guard partial.prefix(prefixLength).elementsEqual(AgeHeader.versionPrefix.prefix(prefixLength)) else {
                throw ArborError.ageHeader("this is not an age file (it does not start with 'age-encryption.org/')")
            }
        }
        guard partial.endIndex <= AgeHeader.maximumSize else {
            throw ArborError.ageHeader("the header is larger than \(AgeHeader.maximumSize) bytes")
        }
    }

    private mutating func parseLine(_ line: ArraySlice<UInt8>, lineStart: Int, buffer: [UInt8]) throws -> AgeHeader? {
        guard offset <= AgeHeader.maximumSize else {
            throw ArborError.ageHeader("the header is larger than \(AgeHeader.maximumSize) bytes")
        }
        switch state {
        case .version:
            guard line.elementsEqual(AgeHeader.versionLine) else {
                if line.starts(with: AgeHeader.versionPrefix) {
                    let version = String(decoding: line.dropFirst(AgeHeader.versionPrefix.count).prefix(32), as: UTF8.self)
                    throw ArborError(
                        .unsupportedVersion,
                        "this age file has format version '\(version.debugDescription.dropFirst().dropLast())'; only v1 is supported")
                }
                throw ArborError.ageHeader("this is not an age v1 file (bad version line)")
            }
            state = .stanzaOrMAC
            return nil

        case .stanzaOrMAC:
            if line.starts(with: Array("---".utf8)) {
                return try parseMAC(line, lineStart: lineStart, buffer: buffer)
            }
            guard line.starts(with: Array("->".utf8)) else {
                throw ArborError.ageHeader("expected a recipient stanza ('-> ') or the MAC line ('--- ')")
            }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].elementsEqual(Array("->".utf8)) else {
                throw ArborError.ageHeader("a recipient stanza has no type")
            }
            for part in parts.dropFirst() where !AgeStanza.isValidArgument(part) {
                throw ArborError.ageHeader("a recipient stanza has an empty argument or a character outside visible ASCII")
            }
            let strings = parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            state = .body(type: strings[0], arguments: Array(strings.dropFirst()), body: [])
            return nil

        case .body(let type, let arguments, var body):
            guard line.count <= AgeHeader.columnsPerLine, let decoded = AgeBase64.decode(line, padded: false) else {
                if line.starts(with: Array("---".utf8)) || line.starts(with: Array("->".utf8)) {
                    throw ArborError.ageHeader("a '\(type)' stanza ends without a short body line")
                }
                throw ArborError.ageHeader("a '\(type)' stanza body line is not canonical unpadded base64 of at most 64 columns")
            }
            body += decoded
            if decoded.count < AgeHeader.bytesPerLine {
                stanzas.append(AgeStanza(validatedType: type, arguments: arguments, body: body))
                state = .stanzaOrMAC
            } else {
                state = .body(type: type, arguments: arguments, body: body)
            }
            return nil
        }
    }

    private func parseMAC(_ line: ArraySlice<UInt8>, lineStart: Int, buffer: [UInt8]) throws -> AgeHeader {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].elementsEqual(Array("---".utf8)) else {
            throw ArborError.ageHeader("the MAC line is malformed")
        }
        guard let mac = AgeBase64.decode(parts[1], padded: false), mac.count == AgeHeader.macSize else {
            throw ArborError.ageHeader("the header MAC is not canonical base64 of 32 bytes")
        }
        guard !stanzas.isEmpty else { throw ArborError.ageHeader("the header has no recipient stanza") }
        return AgeHeader(stanzas: stanzas, mac: mac, encoded: Array(buffer[..<offset]))
    }
}
