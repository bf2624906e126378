import ArborCore

/// age's ASCII armor: strict PEM (RFC 7468 section 3) with the label "AGE ENCRYPTED FILE",
/// padded base64 in lines of exactly 64 columns except the last. Nothing but whitespace (at most
/// 1 KiB) may come before or after; CRLF line endings are accepted, nothing else is.
enum AgeArmor {
    static let beginLine = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let endLine = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    static let columnsPerLine = 64
    static let bytesPerLine = columnsPerLine / 4 * 3
    static let maximumWhitespace = 1024

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }
}

/// Wraps a binary age file in armor as it streams.
struct AgeArmorEncoder {
    private var started = false
    private var pending: [UInt8] = []

    mutating func encode(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        if !started {
            output += AgeArmor.beginLine + [0x0A]
            started = true
        }
        pending += bytes
        let whole = pending.count / AgeArmor.bytesPerLine * AgeArmor.bytesPerLine
        output.reserveCapacity(output.count + whole / 3 * 4 + whole / AgeArmor.bytesPerLine)
        var start = 0
        while start < whole {
            output += AgeBase64.encode(pending[start..<start + AgeArmor.bytesPerLine], padded: true)
            output.append(0x0A)
            start += AgeArmor.bytesPerLine
        }
        pending.removeFirst(whole)
        return output
    }

    mutating func finish() -> [UInt8] {
        var output = encode([])
        if !pending.isEmpty {
            output += AgeBase64.encode(pending, padded: true) + [0x0A]
            pending = []
        }
        return output + AgeArmor.endLine + [0x0A]
    }
}

/// Unwraps armor as it streams, line by line; every deviation from the strict form is an error.
struct AgeArmorDecoder {
    private enum State {
        case leading(whitespace: Int)
        case body
        case end
        case trailing(count: Int)
    }

    private var state = State.leading(whitespace: 0)
    private var partialLine: [UInt8] = []

    /// Appends the decoded bytes of `input` to `output`; on an error, `output` holds what was
    /// decoded before it.
    mutating func decode<Bytes: Collection>(_ input: Bytes, into output: inout [UInt8]) throws where Bytes.Element == UInt8 {
        var bytes = input[...]
        while !bytes.isEmpty {
            if case .trailing(let count) = state {
                try checkTrailing(bytes, after: count)
                state = .trailing(count: count + bytes.count)
                return
            }
            guard let newline = bytes.firstIndex(of: 0x0A) else {
                partialLine += bytes
                try checkPartialLine()
                return
            }
            partialLine += bytes[..<newline]
            bytes = bytes[bytes.index(after: newline)...]
            let line = partialLine
            partialLine = []
            try handle(line, hadNewline: true, into: &output)
        }
    }

    /// Ends the input: the armor must be complete.
    mutating func finish(into output: inout [UInt8]) throws {
        if !partialLine.isEmpty {
            let line = partialLine
            partialLine = []
            try handle(line, hadNewline: false, into: &output)
        }
        switch state {
        case .trailing: return
        case .leading: throw ArborError.ageArmor("the input holds no '-----BEGIN AGE ENCRYPTED FILE-----' line")
        case .body, .end: throw ArborError.ageArmor("the armor has no '-----END AGE ENCRYPTED FILE-----' line; it may be truncated")
        }
    }

    private func checkPartialLine() throws {
        switch state {
        case .body, .end:
            guard partialLine.count <= AgeArmor.columnsPerLine + 1 else {
                throw ArborError.ageArmor("a line is longer than 64 columns")
            }
        case .leading(let whitespace):
            guard whitespace + partialLine.count <= AgeArmor.maximumWhitespace + AgeArmor.beginLine.count + 1 else {
                throw ArborError.ageArmor("too much data before '-----BEGIN AGE ENCRYPTED FILE-----'")
            }
        case .trailing: break
        }
    }

    private func checkTrailing<Bytes: Collection>(_ bytes: Bytes, after count: Int) throws where Bytes.Element == UInt8 {
        guard bytes.allSatisfy(AgeArmor.isWhitespace) else {
            throw ArborError.ageArmor("data follows the '-----END AGE ENCRYPTED FILE-----' line")
        }
        guard count + bytes.count < AgeArmor.maximumWhitespace else {
            throw ArborError.ageArmor("more than 1 KiB of whitespace follows the armor")
        }
    }

    private mutating func handle(_ rawLine: [UInt8], hadNewline: Bool, into output: inout [UInt8]) throws {
        var line = rawLine[...]
        if line.last == 0x0D { line = line.dropLast() }
        switch state {
        case .leading(let whitespace):
            if line.allSatisfy(AgeArmor.isWhitespace) {
                let total = whitespace + rawLine.count + 1
                guard total <= AgeArmor.maximumWhitespace else {
                    throw ArborError.ageArmor("more than 1 KiB of whitespace comes before the armor")
                }
                state = .leading(whitespace: total)
                return
            }
            guard line.elementsEqual(AgeArmor.beginLine) else {
                throw ArborError.ageArmor("the first line is not '-----BEGIN AGE ENCRYPTED FILE-----'")
            }
            state = .body
        case .body:
            if line.elementsEqual(AgeArmor.endLine) {
                state = .trailing(count: 0)
                return
            }
            guard !line.isEmpty else { throw ArborError.ageArmor("an empty line inside the armor") }
            guard line.count <= AgeArmor.columnsPerLine else { throw ArborError.ageArmor("a line is longer than 64 columns") }
            guard let decoded = AgeBase64.decode(line, padded: true) else {
                throw ArborError.ageArmor("a line is not canonical padded base64")
            }
            output += decoded
            if decoded.count < AgeArmor.bytesPerLine { state = .end }
        case .end:
            guard line.elementsEqual(AgeArmor.endLine) else {
                throw ArborError.ageArmor("a short line must be followed by '-----END AGE ENCRYPTED FILE-----'")
            }
            state = .trailing(count: 0)
        case .trailing(let count):
            // Only reached for a last line without a newline: trailing bytes are checked as such.
            try checkTrailing(rawLine, after: count)
            state = .trailing(count: count + rawLine.count + (hadNewline ? 1 : 0))
        }
    }
}
