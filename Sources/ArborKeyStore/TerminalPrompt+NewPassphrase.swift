import ArborCore

extension TerminalPrompt {
    /// Asks for a new passphrase and its repetition until both agree and it has at least
    /// `minimumLength` characters, saying what was wrong each time: what was typed before (shares
    /// in a recovery) is kept, never thrown away for a typo. Nil when the input ends.
    public func readNewPassphrase(prompt: String, minimumLength: Int) -> SecretBytes? {
        while true {
            guard let first = readSecretLine(prompt: prompt) else { return nil }
            // Characters, not bytes, as the key file counts them: bytes that start a UTF-8 character.
            let characters = first.withUnsafeBytes { $0.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
            guard characters > 0 else {
                say("the passphrase is empty; type one (nothing typed before is lost)")
                continue
            }
            guard characters >= minimumLength else {
                say(
                    "the passphrase has \(characters) characters; it needs at least \(minimumLength) (a few random words are best); "
                        + "type another (nothing typed before is lost)")
                continue
            }
            guard let second = readSecretLine(prompt: "Repeat the passphrase: ") else { return nil }
            guard first == second else {
                say("the two passphrases differ; type the new passphrase again (nothing typed before is lost)")
                continue
            }
            return first
        }
    }
}
