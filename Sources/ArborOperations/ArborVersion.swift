/// The release of Arbor these modules make up: what `arbor --version` prints. Written here only.
public enum ArborVersion {
    public static let current = "0.1.0"
}
