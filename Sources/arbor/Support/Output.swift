import ArborCore
import ArborSeal
import ArgumentParser
import Foundation

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    var json = false

    /// Prints either the human text or the JSON value.
    func emit(_ value: some Encodable, human: @autoclosure () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            print(human())
        }
    }
}

/// The JSON view of a certificate; the same fields `cert show` prints as text.
struct CertificateSummary: Encodable {
    let path: String
    let epoch: UInt32
    let kind: String
    let keyID: String
    let issuerKeyID: String
    let usage: [String]
    let notBefore: String
    let notAfter: String
    /// The node's age recipients, when its certificate allows key agreement.
    let ageRecipient: String?
    let ageRecipientX25519: String?

    init(_ certificate: KeyCertificate) {
        path = certificate.path.description
        epoch = certificate.epoch
        kind =
            switch certificate.kind {
            case .root: "root"
            case .issuedByParent: "issued-by-parent"
            case .selfRekey: "self-rekey"
            }
        keyID = certificate.keyID.hex
        issuerKeyID = certificate.issuerKeyID.hex
        usage = certificate.usage.names
        notBefore = Timestamp.format(certificate.validity.notBefore)
        notAfter = Timestamp.format(certificate.validity.notAfter)
        let agrees = certificate.usage.contains(.keyAgreement)
        ageRecipient = agrees ? AgeRecipient.postQuantum(of: certificate.publicKeys).encoded : nil
        ageRecipientX25519 = agrees ? AgeRecipient.x25519(of: certificate.publicKeys).encoded : nil
    }

    var text: String {
        var lines = [
            "\(path)  epoch \(epoch)  \(kind)  key \(keyID)",
            "    usage \(usage.joined(separator: ","))  valid \(notBefore) .. \(notAfter)",
        ]
        if let ageRecipient, let ageRecipientX25519 {
            lines.append("    age recipient \(ageRecipient)")
            lines.append("    age recipient (X25519) \(ageRecipientX25519)")
        }
        return lines.joined(separator: "\n")
    }
}

struct SafetyNumberSummary: Encodable {
    let digits: String
    let words: [String]

    init(_ number: SafetyNumber) {
        digits = number.digits
        words = number.words
    }

    var text: String {
        let groups = number(digits)
        return "safety number:\n    \(groups)\n    \(words.prefix(6).joined(separator: " "))\n    \(words.suffix(6).joined(separator: " "))"
    }

    private func number(_ digits: String) -> String {
        let groups = digits.split(separator: " ")
        return groups.prefix(6).joined(separator: " ") + "\n    " + groups.suffix(6).joined(separator: " ")
    }
}

func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

func validity(days: Int, from start: Int64 = now()) throws -> KeyCertificate.Validity {
    guard days > 0, days <= 36_500 else {
        throw ArborError(.invalidArgument, "--validity-days takes 1 to 36500 days")
    }
    // Back-date by five minutes so a peer with a slightly slow clock accepts a fresh certificate.
    return try KeyCertificate.Validity(notBefore: start - 300, notAfter: start + Int64(days) * 86_400)
}
