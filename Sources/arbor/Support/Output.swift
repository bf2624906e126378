import ArborCore
import ArborOperations
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

/// The human text of the results ArborOperations returns; `--json` prints the results themselves.
extension CertificateSummary {
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

extension SafetyNumberSummary {
    var text: String {
        let groups = number(digits)
        return "safety number:\n    \(groups)\n    \(words.prefix(6).joined(separator: " "))\n    \(words.suffix(6).joined(separator: " "))"
    }

    private func number(_ digits: String) -> String {
        let groups = digits.split(separator: " ")
        return groups.prefix(6).joined(separator: " ") + "\n    " + groups.suffix(6).joined(separator: " ")
    }
}

/// A count with its noun, singular for one: `counted(1, "entry", "entries")` is "1 entry".
func counted(_ count: some BinaryInteger, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
}

func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// Validity from now for `days` days (the rule is ArborOperations' `Validity.days`).
func validity(days: Int, from start: Int64 = now()) throws -> KeyCertificate.Validity {
    try KeyCertificate.Validity.days(days, from: start)
}
