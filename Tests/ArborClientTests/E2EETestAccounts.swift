import ArborClient
import ArborCore
import ArborE2EE
import Foundation

/// Names, passwords and text that are easy to look for: each carries a random part, so a test
/// that finds one in the node's database found this run's.
struct Marked {
    static func name(_ base: String) -> String { "\(base)-\(UUID().uuidString.prefix(8).lowercased())" }
    static func password(_ base: String) -> String { "pw-\(base)-\(UUID().uuidString)" }
    static func text(_ base: String) -> String { "PLAINTEXT-\(base)-\(UUID().uuidString)" }
}

/// An account made for a test through the node: its name, password and recovery code.
struct TestAccount {
    let name: String
    var password: String
    let recoveryCode: RecoveryCode
    let session: E2EESession

    static func signUp(_ base: String, on client: ArborE2EEClient) async throws -> TestAccount {
        let name = Marked.name(base)
        let password = Marked.password(base)
        let made = try await client.signUp(name: name, password: SecretBytes(copying: Array(password.utf8)), device: "\(base)'s laptop")
        return TestAccount(name: name, password: password, recoveryCode: made.recoveryCode, session: made.session)
    }

    func signIn(on client: ArborE2EEClient, device: String = "another device") async throws -> E2EESession {
        try await client.signIn(name: name, password: SecretBytes(copying: Array(password.utf8)), device: device)
    }
}

extension E2EEConversation {
    /// The texts read so far, in order (nil for a refused message or a stream).
    var texts: [String?] { history.map { $0.message?.text } }

    var refusals: [ArborError.Code?] { history.map { $0.refusal?.code } }
}
