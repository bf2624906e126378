import Foundation
import Testing

@testable import ArborCore

/// The audit log's hash chain and signed heads against each way of tampering with a log: every
/// attack is performed on a real log and must be refused with `authentication failed`.
@Suite("Audit chain")
struct AuditChainTests {
    let node: NodeKeySet
    let verifier: AuditChainVerifier

    init() throws {
        node = try Fixtures.vectorRoot.node.descendant(Fixtures.path("eu/node-7")).keySet()
        verifier = AuditChainVerifier(signer: node.publicKeys)
    }

    /// Ten entries with a head after the 5th and after the 10th.
    func log() throws -> [String] {
        var lines: [String] = []
        var last: AuditEntry?
        let mask = AuditMask(node: node)
        for index in 1...10 {
            let entry = try AuditEntry.next(
                after: last, time: 1_800_000_000_000 + Int64(index), requestID: "req-\(index)",
                accessor: mask.mask("accessor-\(index % 3)"),
                operation: index.isMultiple(of: 2) ? "decrypt" : "encrypt", keyring: "payments",
                result: index == 7 ? "retired epoch" : "ok",
                client: "127.0.0.1")
            lines.append(AuditRecord.entry(entry).line)
            last = entry
            if index == 5 || index == 10 {
                lines.append(AuditRecord.head(try AuditHead(signing: entry, time: entry.time, with: node)).line)
            }
        }
        return lines
    }

    func refused(
        _ lines: [String], expectedHead: AuditHead? = nil, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try verifier.verify(lines: lines, expectedHead: expectedHead)
            Issue.record("a tampered log verified", sourceLocation: sourceLocation)
        } catch let error as ArborError {
            #expect(error.code == .authenticationFailed, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Re-hashes every entry from `start` on after an edit, as an attacker who knows the format would.
    func rechained(_ lines: [String], editing index: Int, _ edit: (inout [String: Any]) -> Void) throws -> [String] {
        var records = lines.map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        edit(&records[index])
        var previous: [UInt8]?
        return try records.map { record in
            guard record["type"] as? String == "entry" else {
                return String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
            }
            let entry = try AuditEntry(
                sequence: (record["seq"] as! NSNumber).uint64Value, time: (record["time"] as! NSNumber).int64Value,
                requestID: record["request_id"] as! String, accessor: record["accessor"] as! String,
                operation: record["operation"] as! String,
                keyring: record["keyring"] as! String, result: record["result"] as! String, client: record["client"] as! String,
                previousHash: previous ?? AuditEntry.genesisHash)
            previous = entry.hash
            return AuditRecord.entry(entry).line
        }
    }

    @Test("a line writes any field text as Python's json.dumps does, and reads back to the same entry")
    func lineEscaping() throws {
        // Quotes, backslash, slash, the short escapes, other control characters, non-ASCII and
        // U+2028: what a client could put in a request path that ends up in `operation`.
        let text = "a\"b\\c/d\n\r\t\u{08}\u{0C}\u{01}\u{1F}é€😀\u{2028}"
        let entry = try AuditEntry.next(
            after: nil, time: 1, requestID: "r", accessor: "", operation: text, keyring: "", result: "ok", client: "")
        let line = AuditRecord.entry(entry).line
        // Expected text from Python: json.dumps(text, ensure_ascii=False).
        #expect(line.contains(#""operation":"a\"b\\c/d\n\r\t\b\f\u0001\u001fé€😀\#u{2028}","#))
        #expect(try AuditRecord(line: line) == .entry(entry))
    }

    @Test("an untouched log verifies, with its heads and no unsigned tail")
    func genuine() throws {
        let lines = try log()
        let report = try verifier.verify(lines: lines)
        #expect(report == AuditChainVerifier.Report(entries: 10, heads: 2, lastSequence: 10, lastSignedSequence: 10))
        #expect(try verifier.verify(lines: Array(lines.dropLast())).lastSignedSequence == 5)
        #expect(try verifier.verify(lines: Array(lines.dropLast())).unsignedEntries == 5)
        // Lines round-trip exactly.
        #expect(try lines.map { try AuditRecord(line: $0).line } == lines)
    }

    @Test("an edited entry: refused, and refused again when the attacker recomputes every hash after it")
    func edited() throws {
        let lines = try log()
        var edited = lines
        edited[3] = edited[3].replacingOccurrences(of: "\"result\":\"ok\"", with: "\"result\":\"denied\"")
        #expect(edited[3] != lines[3])
        refused(edited, mentioning: "it was edited")
        // With every hash recomputed, the chain is consistent again, but the signed head is not.
        refused(try rechained(lines, editing: 3) { $0["result"] = "denied" }, mentioning: "does not match the entry before it")
        // After the last head, a recomputed rewrite goes unnoticed by the chain: the unsigned tail
        // the report counts; a head kept elsewhere catches it.
        let tailOnly = Array(lines.dropLast())
        let rewritten = try rechained(tailOnly, editing: 10) { $0["result"] = "denied" }
        #expect(try verifier.verify(lines: rewritten).unsignedEntries == 5)
        guard case .head(let kept) = try AuditRecord(line: lines.last!) else { throw ArborError(.invalidArgument, "no head") }
        refused(rewritten, expectedHead: kept, mentioning: "it was rewritten")
    }

    @Test("a deleted, inserted or reordered entry is refused")
    func deletedInsertedReordered() throws {
        let lines = try log()
        var deleted = lines
        deleted.remove(at: 2)
        refused(deleted, mentioning: "were deleted, inserted or reordered")
        var reordered = lines
        reordered.swapAt(1, 2)
        refused(reordered, mentioning: "were deleted, inserted or reordered")
        // An inserted entry with a valid hash of its own.
        let intruder = try AuditEntry(
            sequence: 3, time: 1, requestID: "x", accessor: "x", operation: "decrypt", keyring: "payments", result: "ok", client: "x",
            previousHash: AuditEntry.genesisHash)
        var inserted = lines
        inserted.insert(AuditRecord.entry(intruder).line, at: 2)
        refused(inserted, mentioning: "does not chain to the entry before it")
    }

    @Test("truncation back past a signed head is caught against a head kept elsewhere")
    func truncated() throws {
        let lines = try log()
        guard case .head(let kept) = try AuditRecord(line: lines.last!) else { throw ArborError(.invalidArgument, "no head") }
        let cut = Array(lines.prefix(6))  // entries 1…5 and their head: consistent on its own
        #expect(try verifier.verify(lines: cut).lastSequence == 5)
        refused(cut, expectedHead: kept, mentioning: "it was truncated")
        #expect(try verifier.verify(lines: lines, expectedHead: kept).entries == 10)
    }

    @Test("a head signed by another key, or naming another entry, is refused")
    func forgedHeads() throws {
        let lines = try log()
        let other = try Fixtures.vectorRoot.node.descendant(Fixtures.path("eu/node-8")).keySet()
        guard case .entry(let fifth) = try AuditRecord(line: lines[4]) else { throw ArborError(.invalidArgument, "no entry") }
        var forged = lines
        forged[5] = AuditRecord.head(try AuditHead(signing: fifth, time: fifth.time, with: other)).line
        refused(forged, mentioning: "not signed by the node's key")
        var misplaced = lines
        misplaced.swapAt(5, 6)  // the head for entry 5 after entry 6
        refused(misplaced, mentioning: "does not match the entry before it")
        // One half of the hybrid signature flipped.
        var record = try JSONSerialization.jsonObject(with: Data(lines[5].utf8)) as! [String: Any]
        var signature = [UInt8](Data(base64Encoded: record["signature"] as! String)!)
        signature[signature.count - 1] ^= 1
        record["signature"] = Data(signature).base64EncodedString()
        var flipped = lines
        flipped[5] = String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
        refused(flipped, mentioning: "not signed by the node's key")
        // A head kept elsewhere must itself be the node's.
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try verifier.start(expectedHead: try AuditHead(signing: fifth, time: 0, with: other))
        }
    }

    @Test("malformed lines are corrupt, and say which line")
    func malformed() throws {
        let lines = try log()
        for bad in ["", "{", "[]", #"{"type":"entry"}"#, #"{"type":"other","seq":1,"time":1,"hash":"00"}"#] {
            var damaged = lines
            damaged[4] = bad
            #expect(throws: ArborError(.corruptFile, "")) { try verifier.verify(lines: damaged) }
        }
        let error = #expect(throws: ArborError.self) { try verifier.verify(lines: Array(lines.prefix(4)) + ["{"]) }
        #expect(error?.message.hasPrefix("line 5: ") == true)
        // Fields longer than the limit are refused before hashing.
        #expect(throws: ArborError(.limitExceeded, "")) {
            try AuditEntry.next(
                after: nil, time: 0, requestID: String(repeating: "x", count: 2000), accessor: "", operation: "", keyring: "", result: "",
                client: "")
        }
    }

    @Test("the mask is HMAC-SHA256 under the node's audit key: stable, keyed, and not the value")
    func mask() throws {
        let mask = AuditMask(node: node)
        let masked = mask.mask("s.token-accessor")
        #expect(masked.hasPrefix("hmac-sha256:") && masked.count == 12 + 64)
        #expect(masked == mask.mask("s.token-accessor"))
        #expect(masked != mask.mask("s.token-accessor2"))
        let other = AuditMask(node: try Fixtures.vectorRoot.node.descendant(Fixtures.path("eu/node-8")).keySet())
        #expect(other.mask("s.token-accessor") != masked)
        #expect(!masked.contains("token"))
    }

    // MARK: - Vectors (docs/audit.md, "Test vectors")

    struct VectorFile: Codable, Equatable {
        var description: String
        var nodePath: String
        var nodePublicKeySet: String
        var auditHmacKey: String
        var maskExample: [String: String]
        var log: [String]
    }

    static let vectorFileName = "audit.json"

    func vectors() throws -> VectorFile {
        VectorFile(
            description:
                "Arbor audit log vectors: ten entries of eu/node-7 (epoch 0) under the key tree vector root 000102...1f, heads after entries 5 and 10. Entry lines are deterministic; head signatures are ML-DSA-65 (randomised) and are checked by verification. See docs/audit.md.",
            nodePath: "eu/node-7", nodePublicKeySet: Hex.encode(node.publicKeys.encoded),
            auditHmacKey: Hex.encode(node.storageKey(purpose: "audit-hmac").bytesForEncoding),
            maskExample: ["accessor-1": AuditMask(node: node).mask("accessor-1")], log: try log())
    }

    @Test("the vector file is current (ARBOR_WRITE_VECTORS=1 rewrites it)")
    func writeVectorsIfAsked() throws {
        try Fixtures.writeVectorsIfAsked({ try vectors() }, to: Self.vectorFileName)
    }

    @Test("every vector entry line is rebuilt exactly, and every head verifies")
    func vectorFile() throws {
        let file = try Fixtures.loadVectors(VectorFile.self, from: Self.vectorFileName)
        let expected = try vectors()
        #expect(file.nodePublicKeySet == expected.nodePublicKeySet)
        #expect(file.auditHmacKey == expected.auditHmacKey)
        #expect(file.maskExample == expected.maskExample)
        #expect(file.log.count == 12)
        for (index, line) in file.log.enumerated() where line.contains("\"type\":\"entry\"") {
            #expect(line == expected.log[index], "line \(index + 1)")
        }
        let report = try AuditChainVerifier(signer: try PublicKeySet(encoded: Hex.decode(file.nodePublicKeySet))).verify(lines: file.log)
        #expect(report.entries == 10 && report.heads == 2)
    }
}
