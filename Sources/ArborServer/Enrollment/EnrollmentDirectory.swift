import ArborCore
import ArborKeyStore
import ArborOperations
import ArborSeal
import Foundation

/// A data directory waiting for its enrollment bundle (`arbor serve --enroll`): the one-time
/// X-Wing key (0600), its recipient, and what the operator said to expect (the cluster's root
/// certificate and the parent). They persist between runs, so the bundle may come by a later
/// `--bundle FILE` as well as by a push to `POST /v1/sys/enroll`. Installing the bundle deletes
/// the one-time key: a bundle opens once.
public struct EnrollmentDirectory: Sendable {
    public static let keyFile = "enroll.key"
    public static let recipientFile = "enroll.recipient"
    static let anchorFile = "enroll.anchor"
    static let parentFile = "enroll.parent"

    public let path: String
    let oneTimeKey: AgeIdentity
    /// The one-time key's public half, `age1pq1…`: what the parent seals the bundle to.
    public let recipient: String
    public let keyID: EnrollmentKeyID
    public let expectation: EnrollmentExpectation

    /// The code a person compares with the one the parent is given.
    public var code: String { keyID.code }

    /// Whether `path` holds a node already (its `node.key`).
    public static func isEnrolled(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + NodeDataDirectory.keyFile)
    }

    /// Whether `path` waits for a bundle (its one-time key).
    public static func isWaiting(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + keyFile)
    }

    /// Makes the one-time key in a new (or empty) directory, or, when one is there, opens it: the
    /// anchor and parent given must then be the ones it was made with (nil: as stored).
    /// - Parameters:
    ///   - anchor: the cluster's root certificate (a chain of one certificate).
    ///   - parent: a path, or the 64 hex digits of the parent's key id.
    public static func prepare(at path: String, anchor: CertificateChain?, parent: String?) throws -> EnrollmentDirectory {
        if isEnrolled(path) {
            throw ArborError(
                .fileExists, "\(path) holds an enrolled node already (its node.key); run 'arbor serve --data \(path)'")
        }
        if isWaiting(path) {
            let existing = try open(path)
            if let anchor, try anchor.loneRootCertificate("--anchor") != existing.expectation.anchor.rootCertificate {
                throw ArborError(.conflict, "\(path) waits for a bundle of another cluster than --anchor names")
            }
            if let parent, try EnrollmentExpectation.Parent(parsing: parent) != existing.expectation.parent {
                throw ArborError(.conflict, "\(path) waits for a bundle from \(existing.expectation.parent), not from \(parent)")
            }
            return existing
        }
        guard let anchor, let parent else {
            throw ArborError(
                .invalidArgument,
                "\(path) has no one-time key yet: give --anchor (the cluster's root.cert) and --parent (the parent's path) to make one")
        }
        let expectation = EnrollmentExpectation(
            anchor: try TrustAnchor(name: "cluster", rootCertificate: try anchor.loneRootCertificate("--anchor")),
            parent: try EnrollmentExpectation.Parent(parsing: parent))
        try createDirectory(path)
        let identity = try AgeIdentity.generatePostQuantum()
        guard let secret = identity.encodedSecretKey(), let recipient = identity.recipient?.encoded else {
            throw ArborError(.ioFailure, "cannot make the one-time key")
        }
        try SecureFile.write(anchor.armored, to: path + "/" + anchorFile, mode: .public)
        try SecureFile.write(expectation.parent.description + "\n", to: path + "/" + parentFile, mode: .public)
        try SecureFile.write(recipient + "\n", to: path + "/" + recipientFile, mode: .public)
        // Written last: its presence is what says the directory waits for a bundle.
        try SecureFile.write(secret: secret, to: path + "/" + keyFile)
        return try open(path)
    }

    /// Reads a waiting directory (the key refused if others may read it).
    public static func open(_ path: String) throws -> EnrollmentDirectory {
        guard isWaiting(path) else {
            throw ArborError(
                .noMatchingKey,
                "\(path) holds no one-time enrollment key: a bundle opens once, on the node it was made for; start again with 'arbor serve --enroll --data DIR --anchor … --parent …'"
            )
        }
        let identity = try AgeIdentity(parsing: try SecureFile.readSecret(path + "/" + keyFile, what: "the one-time key").trimmed())
        guard let publicKey = identity.recipient?.xWingPublicKey, let recipient = identity.recipient?.encoded else {
            throw ArborError(.corruptFile, "\(path)/\(keyFile) is not a post-quantum (X-Wing) key")
        }
        let anchor = try CertificateChain(armored: try SecureFile.read(path + "/" + anchorFile)).loneRootCertificate(
            "\(path)/\(anchorFile)")
        let parent = try SecureFile.read(path + "/" + parentFile).trimmingCharacters(in: .whitespacesAndNewlines)
        return EnrollmentDirectory(
            path: path, oneTimeKey: identity, recipient: recipient, keyID: try EnrollmentKeyID(xWingPublicKey: publicKey),
            expectation: EnrollmentExpectation(
                anchor: try TrustAnchor(name: "cluster", rootCertificate: anchor), parent: try .init(parsing: parent)))
    }

    private static func createDirectory(_ path: String) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            guard (try? manager.contentsOfDirectory(atPath: path))?.isEmpty == true else {
                throw ArborError(.fileExists, "\(path) exists and is not an empty directory; choose a new data directory")
            }
            guard chmod(path, 0o700) == 0 else { throw ArborError(.ioFailure, "cannot set the permissions of \(path)") }
        } else {
            do {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ArborError(.ioFailure, "cannot create the data directory \(path)")
            }
        }
    }

    /// Opens and checks the bundle (`EnrollmentOpening`) without installing anything.
    /// - Parameter time: Unix seconds; the caller reads the clock.
    public func open(bundle file: [UInt8], at time: Int64) throws -> EnrollmentBundle {
        try EnrollmentOpening.open(file, oneTimeKey: oneTimeKey, expecting: expectation, at: time)
    }

    /// Deletes the one-time key and what came with it; the key first, so that a crash between
    /// the two leaves no key behind.
    func discardOneTimeKey() throws {
        for file in [Self.keyFile, Self.recipientFile, Self.anchorFile, Self.parentFile] {
            let target = path + "/" + file
            guard unlink(target) == 0 || errno == ENOENT else {
                throw ArborError(.ioFailure, "cannot delete \(target); delete it by hand")
            }
        }
    }
}

extension SecretBytes {
    /// Without the trailing newline (and surrounding ASCII whitespace) of a one-line key file.
    fileprivate func trimmed() -> SecretBytes {
        withUnsafeBytes { raw in
            var lower = raw.startIndex
            var upper = raw.endIndex
            while lower < upper, raw[lower] <= 0x20 { lower += 1 }
            while upper > lower, raw[upper - 1] <= 0x20 { upper -= 1 }
            return SecretBytes(copying: raw[lower..<upper])
        }
    }
}
