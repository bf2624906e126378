import ArborCore
import ArborKeyStore
import HummingbirdTLS
import NIOSSL

/// TLS for the node's clients: a certificate chain and its private key (PEM), TLS 1.3 only
/// unless TLS 1.2 is allowed explicitly.
public struct NodeTLS: Sendable {
    public enum MinimumVersion: String, Sendable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    let configuration: TLSConfiguration

    /// Reads the PEM files; the key is a secret file (refused if others may read it).
    public init(certificateFile: String, keyFile: String, minimumVersion: MinimumVersion = .tls13) throws {
        let certificates: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(try SecureFile.readBytes(certificateFile))
            key = try SecureFile.readSecret(keyFile).withUnsafeBytes { try NIOSSLPrivateKey(bytes: Array($0), format: .pem) }
        } catch let error as ArborError {
            throw error
        } catch {
            throw ArborError(
                .malformedInput,
                "cannot use '\(certificateFile)' and '\(keyFile)' for TLS: they must be a PEM certificate chain and its PEM key")
        }
        guard !certificates.isEmpty else { throw ArborError(.malformedInput, "'\(certificateFile)' holds no PEM certificate") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        self.configuration = configuration
    }
}
