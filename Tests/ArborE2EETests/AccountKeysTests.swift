import ArborCore
import Testing

@testable import ArborE2EE

/// Accounts (issue 12, points 1 and 2): sign-up, sign-in with the password alone, a wrong
/// password refused, password change and recovery leaving every wrapped key but the master's as it
/// was, and wrapped keys that open only as what and where they were sealed.
@Suite("E2EE accounts")
struct AccountKeysTests {
    static func secret(_ text: String) -> SecretBytes { SecretBytes(copying: Array(text.utf8)) }

    @Test func aSecondDeviceSignsInWithThePasswordAlone() throws {
        let (keys, record, _) = try AccountKeys.signUp(password: Self.secret("hunter2 but longer"))
        let again = try AccountKeys.signIn(password: Self.secret("hunter2 but longer"), record: record)
        #expect(again.master == keys.master)
        #expect(again.identity.publicKeys == keys.identity.publicKeys)
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try AccountKeys.signIn(password: Self.secret("hunter3 but longer"), record: record)
        }
        #expect(record.password.rounds >= 600_000 && record.password.salt.count == 16)
    }

    @Test func aPasswordChangeRewrapsTheMasterKeyOnly() throws {
        let (keys, record, recovery) = try AccountKeys.signUp(password: Self.secret("first password"))
        let changed = try keys.changePassword(to: Self.secret("second password"), record: record)
        #expect(changed.identity == record.identity && changed.masterByRecovery == record.masterByRecovery)
        #expect(changed.masterByPassword != record.masterByPassword && changed.password.salt != record.password.salt)
        #expect(changed.loginPublicKey != record.loginPublicKey)
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try AccountKeys.signIn(password: Self.secret("first password"), record: changed)
        }
        #expect(try AccountKeys.signIn(password: Self.secret("second password"), record: changed).master == keys.master)
        // The recovery code still opens the account after the change.
        #expect(try AccountKeys.recover(with: recovery, record: changed).master == keys.master)
    }

    @Test func theRecoveryCodeSetsANewPassword() throws {
        let (keys, record, recovery) = try AccountKeys.signUp(password: Self.secret("forgotten"))
        #expect(recovery.words.count == 18 && recovery.groups.count == 6)
        let typed = recovery.groups.joined(separator: "  -  ").uppercased()
        let recovered = try AccountKeys.recover(with: try RecoveryCode(parsing: typed), record: record)
        let reset = try recovered.changePassword(to: Self.secret("remembered"), record: record)
        #expect(try AccountKeys.signIn(password: Self.secret("remembered"), record: reset).identity.publicKeys == keys.identity.publicKeys)
        // A mistyped code is refused by its checksum, before any key is tried.
        var words = recovery.words
        words.swapAt(0, 1)
        if words != recovery.words {
            #expect(throws: ArborError(.invalidArgument, "")) { try RecoveryCode(parsing: words.joined(separator: " ")) }
        }
        #expect(throws: ArborError(.invalidArgument, "")) { try RecoveryCode(parsing: recovery.words.dropLast().joined(separator: " ")) }
        // A word off the list is named by its place, never echoed: the words are the secret.
        let offList = #expect(throws: ArborError.self) {
            try RecoveryCode(parsing: (["notaword"] + recovery.words.dropFirst()).joined(separator: " "))
        }
        #expect(offList?.code == .invalidArgument)
        #expect(offList?.message.contains("word 1") == true && offList?.message.contains("notaword") == false)
        // Another account's code (a valid checksum) does not open this one.
        let other = RecoveryCode.generate()
        #expect(throws: ArborError(.authenticationFailed, "")) { try AccountKeys.recover(with: other, record: record) }
        #expect("\(recovery)" == "RecoveryCode(redacted)")
    }

    @Test func aWrappedKeyOpensOnlyAsWhatAndWhereItWasSealed() throws {
        let (keys, record, _) = try AccountKeys.signUp(password: Self.secret("bound"))
        let otherAccount = AccountID.random()
        // The identity wrapped as if it were the master key, or under another account id.
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try record.identity.open(under: keys.master, as: .masterByPassword, account: record.account)
        }
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try record.identity.open(under: keys.master, as: .identity, account: otherAccount)
        }
        // A server that swaps in another account's identity is caught by the public keys it stored.
        let (_, stranger, _) = try AccountKeys.signUp(password: Self.secret("stranger"))
        let swapped = AccountRecord(
            account: record.account, password: record.password, loginPublicKey: record.loginPublicKey,
            masterByPassword: record.masterByPassword, masterByRecovery: record.masterByRecovery, identity: record.identity,
            identityPublicKeys: stranger.identityPublicKeys)
        #expect(throws: ArborError(.conflict, "")) { try AccountKeys.signIn(password: Self.secret("bound"), record: swapped) }
        // A changed byte.
        var bytes = record.masterByPassword.bytes
        bytes[bytes.count - 1] ^= 1
        let damaged = AccountRecord(
            account: record.account, password: record.password, loginPublicKey: record.loginPublicKey,
            masterByPassword: try WrappedKey(bytes: bytes), masterByRecovery: record.masterByRecovery, identity: record.identity,
            identityPublicKeys: record.identityPublicKeys)
        #expect(throws: ArborError(.authenticationFailed, "")) { try AccountKeys.signIn(password: Self.secret("bound"), record: damaged) }
    }

    @Test func theLoginProofIsForOneAccountAndOneChallenge() throws {
        let (_, record, _) = try AccountKeys.signUp(password: Self.secret("sign me in"))
        let keys = try PasswordKeys(password: Self.secret("sign me in"), parameters: record.password, account: record.account)
        let challenge = [UInt8](repeating: 7, count: 32)
        let proof = try LoginProof.sign(challenge: challenge, account: record.account, with: keys)
        #expect(LoginProof.isValid(proof, challenge: challenge, account: record.account, loginPublicKey: record.loginPublicKey))
        #expect(
            !LoginProof.isValid(
                proof, challenge: [UInt8](repeating: 8, count: 32), account: record.account, loginPublicKey: record.loginPublicKey))
        #expect(!LoginProof.isValid(proof, challenge: challenge, account: .random(), loginPublicKey: record.loginPublicKey))
        let wrong = try PasswordKeys(password: Self.secret("sign me out"), parameters: record.password, account: record.account)
        let guessed = try LoginProof.sign(challenge: challenge, account: record.account, with: wrong)
        #expect(!LoginProof.isValid(guessed, challenge: challenge, account: record.account, loginPublicKey: record.loginPublicKey))
        // Rounds below the floor are refused.
        #expect(throws: ArborError(.invalidArgument, "")) {
            try PasswordParameters(rounds: 599_999, salt: [UInt8](repeating: 0, count: 16))
        }
    }
}
