import ArborCore

extension SLIP39 {
    /// Word i encodes the 10-bit value i; ArborCore's copy of the SLIP-39 list, shared with safety
    /// numbers. Sorted, so lookups can bisect.
    static let wordlist: [String] = Wordlist.slip39
}
