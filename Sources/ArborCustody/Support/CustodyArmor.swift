import ArborCore

/// Armor for the custody files: an armor failure is a malformed custody file, named by `what`.
enum CustodyArmor {
    static func decode(_ text: String, label: String, what: String) throws -> [UInt8] {
        do {
            return try Armor.decode(text, label: label)
        } catch let error as ArborError {
            throw CustodyError(.malformedKeyFile, "not an Arbor \(what) (\(error.message))")
        }
    }
}
