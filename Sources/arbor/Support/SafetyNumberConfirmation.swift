import ArborCore
import ArborOperations
import Foundation

/// Shows a safety number on the terminal and asks the person to type 'yes' if it matches what the
/// other side shows; anything else cancels. Without a terminal, says to pass --safety-number.
/// - Parameters:
///   - about: the line shown above the number (which root, under which name).
///   - action: what 'yes' does ("import", "follow the transition").
func confirmSafetyNumber(_ number: SafetyNumber, about: String, action: String) throws {
    guard let tty = FileHandle(forUpdatingAtPath: "/dev/tty") else {
        throw ArborError(
            .invalidArgument, "no terminal to confirm the safety number; pass --safety-number with the number you checked in person")
    }
    let summary = SafetyNumberSummary(number)
    tty.write(Data("\(about)\n\(summary.text)\nDoes this match what the other side shows? Type 'yes' to \(action): ".utf8))
    var answer: [UInt8] = []
    while let byte = try tty.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { answer.append(byte) }
    guard String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
        throw ArborError(.fingerprintMismatch, "\(action) cancelled: the safety number was not confirmed")
    }
}
