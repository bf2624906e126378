import ArborCore
import ArborOperations
import ArborSeal
import ArgumentParser
import Foundation

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the header of an age file or an arbor:v1: token without decrypting it.",
        discussion: """
            For an age file: its armor, recipient stanzas (type and public arguments; Arbor's stanzas decoded:
            keyring, epoch, origin, time; tree path and epoch) and payload size. For a token: keyring, epoch, \
            cipher, time, origin (its path when the token is signed, which carries it; otherwise only its hash) \
            and signer. Nothing secret is needed or shown, and nothing is verified.
            """
    )

    @Argument(help: "The file or token to inspect (default: standard input).")
    var input: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        // A token may be given on the command line itself.
        let isTokenArgument = input.map { $0.hasPrefix(MeshToken.textPrefix) && !FileManager.default.fileExists(atPath: $0) } ?? false
        let data = isTokenArgument ? Array(input!.utf8) : [UInt8](try readInput(input, limit: 1 << 30))
        let text = String(decoding: data.prefix(16), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix(MeshToken.textPrefix) {
            let token = try MeshToken(text: String(decoding: data, as: UTF8.self))
            let result = InspectionSummary(token: token)
            return try output.emit(result, human: "arbor:v1 token, \(counted(token.encoded.count, "byte")): \(result.token?.text ?? "")")
        }
        let inspection = try readingFile(input) { try AgeInspection(file: data) }
        let stanzas = inspection.header.stanzas.map { stanza in
            let provenance =
                stanza.type == "arbor-mesh"
                ? (try? MeshKeyring.provenance(ofHeader: [UInt8](Data(base64Encoded: padded(stanza.arguments.first ?? "")) ?? Data())))
                : nil
            return InspectionSummary.Stanza(
                type: stanza.type, arguments: stanza.arguments, bodyBytes: stanza.body.count,
                provenance: provenance.map { ProvenanceSummary($0, signer: nil) })
        }
        let result = InspectionSummary(file: inspection, stanzas: stanzas)
        var lines = [
            "age v1 file\(inspection.armored ? " (armored)" : ""), \(counted(inspection.payloadSize, "payload byte")), \(counted(stanzas.count, "recipient stanza")):"
        ]
        for stanza in stanzas {
            switch stanza.type {
            case "arbor-mesh": lines.append("  arbor-mesh: \(stanza.provenance?.text ?? "unreadable provenance")")
            case "arbor-tree":
                lines.append(
                    "  arbor-tree: storage key of \(stanza.arguments.first ?? "?") at epoch \(stanza.arguments.dropFirst().first ?? "?")")
            case "scrypt": lines.append("  scrypt: passphrase, work factor 2^\(stanza.arguments.last ?? "?")")
            default: lines.append("  \(stanza.type)")
            }
        }
        try output.emit(result, human: lines.joined(separator: "\n"))
    }

    private func padded(_ base64: String) -> String { base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4) }
}

extension ProvenanceSummary {
    var text: String {
        let origin =
            originPath.map { "origin \($0) (id \(self.origin))" } ?? "origin id \(self.origin) (its path is carried only by a signed token)"
        let signed = signer.map { $0 == originPath ? ", signed by \($0)" : ", origin attested by \($0)" } ?? ""
        return "keyring \(keyring), epoch \(epoch), \(cipher), sealed \(time), \(origin)\(signed)"
    }
}
