import ArborCore
import Crypto

/// Arbor's mesh keyring stanza, added the way age plugins add theirs (other implementations skip it):
///
///     -> arbor-mesh <provenance header, base64>
///     <file key sealed under the wrapping key, base64>
///
/// The 40-byte provenance header (docs/formats.md, "Mesh keyrings") names the keyring, epoch,
/// origin and time; the wrapping key is derived from the epoch seed and that provenance with the
/// domain "arbor/v1/age-mesh", so any node holding the keyring opens the file, offline.
enum MeshKeyringStanza {
    static let type = "arbor-mesh"
    static let domain = "arbor/v1/age-mesh"

    static func wrap(_ fileKey: SymmetricKey, keyring: MeshKeyring, origin: TreePath, time: Int64) throws -> AgeStanza {
        let (header, wrappingKey) = try keyring.newWrappingKey(domain: domain, origin: origin, time: time)
        return AgeStanza(
            validatedType: type, arguments: [AgeBase64.encodeString(header)], body: try AgeKeyWrap.seal(fileKey, with: wrappingKey))
    }

    /// nil for other stanza types and other keyrings; throws for a malformed stanza of this type, or
    /// this keyring at a retired or unknown epoch.
    static func unwrap(_ stanza: AgeStanza, with keyring: MeshKeyring) throws -> SymmetricKey? {
        guard stanza.type == type else { return nil }
        guard stanza.arguments.count == 1, let header = AgeBase64.decode(Array(stanza.arguments[0].utf8), padded: false),
            header.count == MeshToken.headerSize, stanza.body.count == AgeKeyWrap.bodySize
        else {
            throw ArborError.ageHeader("an arbor-mesh stanza must hold one 40-byte provenance argument and a 32-byte body")
        }
        let provenance: Provenance
        do {
            provenance = try MeshKeyring.provenance(ofHeader: header)
        } catch {
            throw ArborError.ageHeader("an arbor-mesh stanza's provenance does not parse")
        }
        guard provenance.keyringID == keyring.identifier else { return nil }
        let wrappingKey = try keyring.wrappingKey(header: header, domain: domain)
        guard let fileKey = AgeKeyWrap.open(stanza.body, with: wrappingKey) else {
            throw ArborError(
                .authenticationFailed, "the arbor-mesh stanza for keyring '\(keyring.name)' does not authenticate: the header was altered")
        }
        return fileKey
    }
}
