import Crypto
import Foundation

@testable import ArborCore

/// Deterministic trees and certificates shared by the tests.
enum Fixtures {
    /// The root used by the vector files: bytes 0x00…0x1f.
    static let vectorRoot = RootKey(secret: SymmetricKey(data: (0..<32).map { UInt8($0) }))

    static let now: Int64 = 1_795_000_000  // 2026-11-18
    static let validity = try! KeyCertificate.Validity(notBefore: now - 86_400, notAfter: now + 365 * 86_400)

    static func path(_ text: String) -> TreePath { try! TreePath(parsing: text) }

    /// A root with its certificate and issuer, and a verifier trusting it.
    struct Cluster {
        let root: RootKey
        let rootCertificate: KeyCertificate
        let issuer: Issuer
        var anchor: TrustAnchor { try! TrustAnchor(name: "test", rootCertificate: rootCertificate) }

        init(root: RootKey = .generate()) throws {
            self.root = root
            rootCertificate = try KeyCertificate.root(try root.node.keySet(), validity: Fixtures.validity)
            issuer = try Issuer(root: root, rootCertificate: rootCertificate)
        }

        func chain(_ text: String, usage: KeyUsage = .all) throws -> (secret: NodeSecret, chain: CertificateChain) {
            try issuer.certify(Fixtures.path(text), usage: usage, validity: Fixtures.validity)
        }

        func verifier(_ revocations: [Revocation] = []) -> ChainVerifier {
            ChainVerifier(anchors: [anchor], revocations: RevocationList(revocations))
        }
    }

    static func vectorsURL(_ name: String) throws -> URL {
        guard let directory = Bundle.module.url(forResource: "Vectors", withExtension: nil) else {
            throw ArborError(.fileNotFound, "the Vectors resource is missing from the test bundle")
        }
        return directory.appendingPathComponent(name)
    }

    /// Reads a committed vector file (snake_case JSON).
    static func loadVectors<File: Decodable>(_ type: File.Type, from name: String) throws -> File {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(contentsOf: try vectorsURL(name)))
    }

    /// Rewrites a vector file in the source tree, only when ARBOR_WRITE_VECTORS=1.
    static func writeVectorsIfAsked(_ make: () throws -> some Encodable, to name: String, file: StaticString = #filePath) throws {
        guard ProcessInfo.processInfo.environment["ARBOR_WRITE_VECTORS"] == "1" else { return }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(try make()).write(to: URL(fileURLWithPath: sourceVectorsPath(name, file: file)))
    }

    /// The source copy of a vector file, for regenerating it with ARBOR_WRITE_VECTORS=1.
    static func sourceVectorsPath(_ name: String, file: StaticString = #filePath) -> String {
        URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Vectors/\(name)").path
    }
}

extension SymmetricKey {
    /// The key's bytes, for comparing with vector files (tests only).
    var bytesForEncoding: [UInt8] { withUnsafeBytes { Array($0) } }
}
