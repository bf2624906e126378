/// What a new node is told before its bundle arrives, out of band: the root certificate of the
/// cluster it joins and who its parent is. A bundle signed by anyone else is refused.
public struct EnrollmentExpectation: Sendable, Equatable {
    /// How the parent is named to the new node.
    public enum Parent: Sendable, Equatable, CustomStringConvertible {
        /// By its path: it survives the parent's rekeys, so the node recognises its parent after them.
        case path(TreePath)
        /// By the key id of its current key (64 hex digits): pins one key of the parent.
        case keyID(KeyID)

        /// A key id when the text is 64 hex digits, else a path.
        public init(parsing text: String) throws {
            if text.count == 2 * KeyID.size, text.allSatisfy(\.isHexDigit) {
                self = .keyID(try KeyID(hex: text.lowercased()))
            } else {
                self = .path(try TreePath(parsing: text))
            }
        }

        public var description: String {
            switch self {
            case .path(let path): path.description
            case .keyID(let keyID): keyID.hex
            }
        }

        func matches(_ certificate: KeyCertificate) -> Bool {
            switch self {
            case .path(let path): certificate.path == path
            case .keyID(let keyID): certificate.keyID == keyID
            }
        }
    }

    /// The cluster's root certificate: every chain in the bundle verifies to it, and only to it.
    public let anchor: TrustAnchor
    public let parent: Parent

    public init(anchor: TrustAnchor, parent: Parent) {
        self.anchor = anchor
        self.parent = parent
    }
}
