import ArborCore
import ArborSeal

/// What `inspect` shows of an age file's header or of an `arbor:v1:` token, without decrypting it.
public struct InspectionSummary: Codable, Sendable, Equatable {
    /// One recipient stanza: its type, public arguments, body size, and for `arbor-mesh` its provenance.
    public struct Stanza: Codable, Sendable, Equatable {
        public let type: String
        public let arguments: [String]
        public let bodyBytes: Int
        public let provenance: ProvenanceSummary?

        public init(type: String, arguments: [String], bodyBytes: Int, provenance: ProvenanceSummary?) {
            self.type = type
            self.arguments = arguments
            self.bodyBytes = bodyBytes
            self.provenance = provenance
        }
    }

    /// "age v1 file" or "arbor token".
    public let kind: String
    public let armored: Bool?
    public let stanzas: [Stanza]?
    public let payloadBytes: Int?
    public let token: ProvenanceSummary?
    public let tokenBytes: Int?

    /// A token: its provenance and size.
    public init(token: MeshToken) {
        kind = "arbor token"
        armored = nil
        stanzas = nil
        payloadBytes = nil
        self.token = ProvenanceSummary(token: token)
        tokenBytes = token.encoded.count
    }

    /// An age file: its stanzas (described by the caller) and payload size.
    public init(file inspection: AgeInspection, stanzas: [Stanza]) {
        kind = "age v1 file"
        armored = inspection.armored
        self.stanzas = stanzas
        payloadBytes = inspection.payloadSize
        token = nil
        tokenBytes = nil
    }
}
