import ArborCore

extension KeyCertificate.Validity {
    /// Validity for a certificate issued at `start` (Unix seconds) for `days` days (1 to 36500),
    /// back-dated by five minutes so a peer with a slightly slow clock accepts it at once.
    public static func days(_ days: Int, from start: Int64) throws -> KeyCertificate.Validity {
        guard days > 0, days <= 36_500 else {
            throw ArborError(.invalidArgument, "--validity-days takes 1 to 36500 days")
        }
        return try KeyCertificate.Validity(notBefore: start - 300, notAfter: start + Int64(days) * 86_400)
    }
}
