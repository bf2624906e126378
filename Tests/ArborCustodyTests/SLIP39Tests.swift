import ArborCore
import ArborTestSupport
import Foundation
import Testing

@testable import ArborCustody

@Suite("SLIP-39")
struct SLIP39Tests {
    /// One case of trezor/python-shamir-mnemonic's vectors.json.
    struct Case: CustomTestStringConvertible, Sendable {
        var description: String
        var mnemonics: [String]
        var masterSecret: String
        var testDescription: String { description }
    }

    static let cases: [Case] = {
        guard let data = try? TestVectors.data("vectors.json"),
            let rows = try? JSONSerialization.jsonObject(with: data) as? [[Any]]
        else { return [] }
        return rows.compactMap { row in
            guard row.count >= 3, let description = row[0] as? String, let mnemonics = row[1] as? [String],
                let secret = row[2] as? String
            else { return nil }
            return Case(description: description, mnemonics: mnemonics, masterSecret: secret)
        }
    }()

    @Test func allVectorCasesAreLoaded() {
        #expect(Self.cases.count == 45)
        #expect(SLIP39.wordlist.count == 1024)
        #expect(SLIP39.wordIndex.count == 1024)
        #expect(SLIP39.wordlist == SLIP39.wordlist.sorted())
    }

    /// The error kind each invalid vector must produce, from its description.
    static func expectedCode(for description: String) -> CustodyError.Code? {
        let text = description.lowercased()
        let table: [(String, CustodyError.Code)] = [
            ("invalid checksum", .checksumMismatch),
            ("invalid padding", .invalidPadding),
            ("different identifiers", .inconsistentShares),
            ("different iteration exponents", .inconsistentShares),
            ("mismatching group thresholds", .inconsistentShares),
            ("mismatching group counts", .inconsistentShares),
            ("mismatching member thresholds", .inconsistentShares),
            ("greater group threshold than group counts", .malformedShare),
            ("duplicate member indices", .duplicateShare),
            ("invalid digest", .digestMismatch),
            ("insufficient number", .insufficientShares),
            ("insufficient length", .malformedShare),
            // 21 words leave 12 padding bits, more than a whole 16-bit secret unit allows.
            ("invalid master secret length", .invalidPadding),
            ("basic sharing", .insufficientShares),
        ]
        return table.first { text.contains($0.0) }?.1
    }

    @Test(arguments: cases)
    func officialVector(_ vector: Case) throws {
        if vector.masterSecret.isEmpty {
            let error = #expect(throws: CustodyError.self) {
                try SLIP39.combineMnemonics(vector.mnemonics, passphrase: "TREZOR")
            }
            #expect(error?.code == Self.expectedCode(for: vector.description), "\(String(describing: error))")
        } else {
            let secret = try SLIP39.combineMnemonics(vector.mnemonics, passphrase: "TREZOR")
            #expect(TestHex.encode(secret) == vector.masterSecret)
            // Parsing and re-encoding gives back the same words.
            for mnemonic in vector.mnemonics {
                #expect(try SLIP39Share(mnemonic: mnemonic).mnemonic == mnemonic)
            }
        }
    }

    @Test func extendableFlagIsReadFromTheVectors() throws {
        let extendable = try #require(Self.cases.first { $0.description.hasPrefix("42.") })
        let legacy = try #require(Self.cases.first { $0.description.hasPrefix("1.") })
        #expect(try SLIP39Share(mnemonic: extendable.mnemonics[0]).extendable)
        #expect(try !SLIP39Share(mnemonic: legacy.mnemonics[0]).extendable)
    }

    // MARK: - Generate, then recover

    struct Configuration: CustomTestStringConvertible, Sendable {
        var seed: UInt64
        var secretLength: Int
        var groupThreshold: Int
        var groups: [SLIP39.Group]
        var extendable: Bool
        var testDescription: String {
            "seed \(seed): \(groupThreshold) of [" + groups.map { "\($0.memberThreshold)/\($0.memberCount)" }.joined(separator: ", ")
                + "], \(secretLength) bytes, extendable \(extendable)"
        }
    }

    /// Random but reproducible group configurations.
    static let configurations: [Configuration] =
        (1...12).map { seed in
            var generator = SplitMix64(seed: 0x5EED_0000 + UInt64(seed))
            let groupCount = Int(generator.next() % 5) + 1
            let groups = (0..<groupCount).map { _ in
                let memberCount = Int(generator.next() % 5) + 1
                let memberThreshold = memberCount == 1 ? 1 : Int(generator.next() % UInt64(memberCount - 1)) + 2
                return SLIP39.Group(memberThreshold: memberThreshold, memberCount: memberCount)
            }
            return Configuration(
                seed: UInt64(seed),
                secretLength: [16, 32, 18, 64][seed % 4],
                groupThreshold: Int(generator.next() % UInt64(groupCount)) + 1,
                groups: groups,
                extendable: seed % 3 != 0
            )
        } + [
            Configuration(
                seed: 100, secretLength: 16, groupThreshold: 1, groups: [.init(memberThreshold: 1, memberCount: 1)], extendable: true),
            Configuration(
                seed: 101, secretLength: 32, groupThreshold: 16,
                groups: Array(repeating: .init(memberThreshold: 1, memberCount: 1), count: 16), extendable: false),
            Configuration(
                seed: 102, secretLength: 16, groupThreshold: 1, groups: [.init(memberThreshold: 16, memberCount: 16)], extendable: true),
        ]

    @Test(arguments: configurations)
    func generatedMnemonicsRecoverTheSecret(_ configuration: Configuration) throws {
        var generator = SplitMix64(seed: configuration.seed)
        let secret = generator.randomBytes(count: configuration.secretLength)
        let passphrase = "pass \(configuration.seed)"
        let mnemonics = try SLIP39.generateMnemonics(
            masterSecret: secret, passphrase: passphrase, groupThreshold: configuration.groupThreshold,
            groups: configuration.groups, iterationExponent: 0, extendable: configuration.extendable, using: &generator
        )
        #expect(mnemonics.map(\.count) == configuration.groups.map(\.memberCount))
        let wordCount = 7 + (configuration.secretLength * 8 + 9) / 10
        #expect(mnemonics.joined().allSatisfy { $0.split(separator: " ").count == wordCount })

        for _ in 0..<3 {
            // Pick groupThreshold random groups and memberThreshold random members in each.
            let chosenGroups = Array(mnemonics.indices.shuffled(using: &generator).prefix(configuration.groupThreshold))
            var selection = [String]()
            for group in chosenGroups {
                let threshold = configuration.groups[group].memberThreshold
                selection += mnemonics[group].shuffled(using: &generator).prefix(threshold)
            }
            selection.shuffle(using: &generator)
            #expect(try SLIP39.combineMnemonics(selection, passphrase: passphrase) == secret)
            // Any passphrase gives some secret; a wrong one gives a different one.
            #expect(try SLIP39.combineMnemonics(selection, passphrase: "wrong") != secret)

            let shares = try selection.map(SLIP39Share.init(mnemonic:))
            #expect(shares.allSatisfy { $0.extendable == configuration.extendable && $0.iterationExponent == 0 })
            if let lastGroup = chosenGroups.last, configuration.groups[lastGroup].memberThreshold > 1 || configuration.groupThreshold > 1 {
                // Dropping one share must fail cleanly.
                let error = #expect(throws: CustodyError.self) {
                    try SLIP39.combineMnemonics(Array(selection.dropLast()), passphrase: passphrase)
                }
                #expect(error?.code == .insufficientShares)
            }
        }
    }

    @Test func extendableBackupsOfOneSecretShareTheEncryptedSecret() throws {
        var generator = SplitMix64(seed: 9)
        let secret = generator.randomBytes(count: 16)
        let first = try SLIP39.generateShares(
            masterSecret: secret, passphrase: "x", groupThreshold: 1,
            groups: [.init(memberThreshold: 1, memberCount: 1)], iterationExponent: 0,
            extendable: true, using: &generator)[0][0]
        let second = try SLIP39.generateShares(
            masterSecret: secret, passphrase: "x", groupThreshold: 1,
            groups: [.init(memberThreshold: 1, memberCount: 1)], iterationExponent: 0,
            extendable: true, using: &generator)[0][0]
        #expect(first.identifier != second.identifier)
        #expect(first.value == second.value)

        // Without the flag the identifier is salt, so the encrypted secrets differ.
        let legacyFirst = try SLIP39.generateShares(
            masterSecret: secret, passphrase: "x", groupThreshold: 1,
            groups: [.init(memberThreshold: 1, memberCount: 1)], iterationExponent: 0,
            extendable: false, using: &generator)[0][0]
        let legacySecond = try SLIP39.generateShares(
            masterSecret: secret, passphrase: "x", groupThreshold: 1,
            groups: [.init(memberThreshold: 1, memberCount: 1)], iterationExponent: 0,
            extendable: false, using: &generator)[0][0]
        #expect(legacyFirst.identifier != legacySecond.identifier)
        #expect(legacyFirst.value != legacySecond.value)
        #expect(legacyFirst.value != first.value)
        for share in [first, second, legacyFirst, legacySecond] {
            #expect(try SLIP39.combineMnemonics([share.mnemonic], passphrase: "x") == secret)
        }
    }

    @Test func iterationExponentChangesTheEncryption() throws {
        let secret = [UInt8](repeating: 0xAB, count: 16)
        let ems0 = try SLIP39Cipher.encrypt(secret, passphrase: [], iterationExponent: 0, identifier: 1, extendable: true)
        let ems1 = try SLIP39Cipher.encrypt(secret, passphrase: [], iterationExponent: 1, identifier: 1, extendable: true)
        #expect(ems0 != ems1)
        #expect(try SLIP39Cipher.decrypt(ems1, passphrase: [], iterationExponent: 1, identifier: 1, extendable: true) == secret)
    }

    @Test(arguments: [
        (15, 1, 1, 1, 0, "short secret"),
        (17, 1, 1, 1, 0, "odd secret"),
        (16, 0, 1, 1, 0, "group threshold 0"),
        (16, 2, 1, 1, 0, "group threshold above group count"),
        (16, 1, 2, 1, 0, "member threshold above member count"),
        (16, 1, 1, 3, 0, "1-of-3 group"),
        (16, 1, 17, 17, 0, "17 members"),
        (16, 1, 1, 1, 16, "iteration exponent 16"),
    ])
    func invalidGenerationParametersAreRejected(
        secretLength: Int, groupThreshold: Int, memberThreshold: Int, memberCount: Int, exponent: Int, label: String
    ) {
        let error = #expect(throws: CustodyError.self, "\(label)") {
            try SLIP39.generateMnemonics(
                masterSecret: [UInt8](repeating: 1, count: secretLength), groupThreshold: groupThreshold,
                groups: [.init(memberThreshold: memberThreshold, memberCount: memberCount)], iterationExponent: exponent
            )
        }
        #expect(error?.code == .invalidParameters)
    }

    @Test func nonASCIIPassphrasesAreRejected() {
        for passphrase in ["naïve", "tab\there", "🌳"] {
            let error = #expect(throws: CustodyError.self) {
                try SLIP39.generateMnemonics(
                    masterSecret: [UInt8](repeating: 1, count: 16), passphrase: passphrase,
                    groupThreshold: 1, groups: [.init(memberThreshold: 1, memberCount: 1)])
            }
            #expect(error?.code == .invalidParameters)
        }
    }

    @Test func seventeenGroupsAreRejected() {
        let error = #expect(throws: CustodyError.self) {
            try SLIP39.generateMnemonics(
                masterSecret: [UInt8](repeating: 1, count: 16), groupThreshold: 1,
                groups: Array(repeating: .init(memberThreshold: 1, memberCount: 1), count: 17))
        }
        #expect(error?.code == .invalidParameters)
    }

    // MARK: - Bad input

    static let validMnemonic =
        "duckling enlarge academic academic agency result length solution fridge kidney coal piece deal husband erode duke ajar critical decision keyboard"

    @Test func mnemonicParsingToleratesCaseAndSpacing() throws {
        let reference = try SLIP39Share(mnemonic: Self.validMnemonic)
        let messy = "  " + Self.validMnemonic.uppercased().replacingOccurrences(of: " ", with: " \n\t ") + "\n"
        #expect(try SLIP39Share(mnemonic: messy) == reference)
        #expect(reference.groupCount == 1 && reference.groupThreshold == 1 && reference.memberThreshold == 1)
        #expect(reference.value.count == 16)
    }

    @Test func truncatedAndGarbageMnemonicsThrowWithoutEchoingWords() throws {
        let words = Self.validMnemonic.split(separator: " ").map(String.init)
        for count in 0..<words.count {
            let error = #expect(throws: CustodyError.self) { try SLIP39Share(mnemonic: words.prefix(count).joined(separator: " ")) }
            #expect(error != nil)
        }
        var garbled = words
        garbled[5] = "resul"
        let unknown = #expect(throws: CustodyError.self) { try SLIP39Share(mnemonic: garbled.joined(separator: " ")) }
        #expect(unknown?.code == .malformedShare)
        #expect(unknown?.message.contains("word 6") == true)
        #expect(unknown?.message.contains("resul") == false)

        // Every swap of two adjacent words and every single-word substitution is caught.
        for index in 0..<(words.count - 1) where words[index] != words[index + 1] {
            var swapped = words
            swapped.swapAt(index, index + 1)
            #expect(throws: CustodyError.self) { try SLIP39Share(mnemonic: swapped.joined(separator: " ")) }
        }
        for index in words.indices {
            var substituted = words
            substituted[index] = substituted[index] == "zero" ? "yoga" : "zero"
            #expect(throws: CustodyError.self) { try SLIP39Share(mnemonic: substituted.joined(separator: " ")) }
        }

        var generator = SplitMix64(seed: 39)
        for _ in 0..<300 {
            let count = Int(generator.next() % 40)
            let randomWords = (0..<count).map { _ in SLIP39.wordlist[Int(generator.next() % 1024)] }
            #expect(throws: CustodyError.self) { try SLIP39Share(mnemonic: randomWords.joined(separator: " ")) }
        }
        for text in ["", " ", "🌳 🌳", String(repeating: "academic ", count: 2000)] {
            #expect(throws: CustodyError.self) { try SLIP39Share(mnemonic: text) }
        }
    }

    @Test func aBadMnemonicIsNamedByPosition() throws {
        let valid = try #require(Self.cases.first { $0.description.hasPrefix("4.") })
        var input = valid.mnemonics
        input[1] = input[1].replacingOccurrences(of: "smoking", with: "academic")
        let error = #expect(throws: CustodyError.self) { try SLIP39.combineMnemonics(input, passphrase: "TREZOR") }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.shareNumber == 2)
        #expect(throws: CustodyError.self) { try SLIP39.combineMnemonics([]) }
    }

    @Test func descriptionsDoNotShowShareValues() throws {
        let share = try SLIP39Share(mnemonic: Self.validMnemonic)
        for word in Self.validMnemonic.split(separator: " ").dropFirst(4) {
            #expect(!share.description.contains(" \(word)"))
        }
        #expect(!share.description.contains(TestHex.encode(share.value.prefix(4))))
    }
}

@Suite("SLIP-39 work limits")
struct SLIP39LimitTests {
    @Test(arguments: [9, 15])
    func aForgedIterationExponentIsRefusedBeforeAnyPBKDF2Work(exponent: Int) throws {
        var generator = SplitMix64(seed: 5)
        let shares = try SLIP39.generateShares(
            masterSecret: Array(repeating: 0x11, count: 16), groupThreshold: 1, groups: [.init(memberThreshold: 2, memberCount: 3)],
            iterationExponent: 0, using: &generator)[0]
        // The exponent is in the checksummed header, so a forger rewrites it and recomputes the checksum.
        let forged = shares.prefix(2).map { share in
            SLIP39Share(
                identifier: share.identifier, extendable: share.extendable, iterationExponent: exponent, groupIndex: share.groupIndex,
                groupThreshold: share.groupThreshold, groupCount: share.groupCount, memberIndex: share.memberIndex,
                memberThreshold: share.memberThreshold, value: share.value
            ).mnemonic
        }
        let started = ContinuousClock.now
        #expect(throws: CustodyError(.limitExceeded, "")) { try SLIP39.combineMnemonics(forged) }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(throws: CustodyError(.invalidParameters, "")) {
            try SLIP39.generateShares(
                masterSecret: Array(repeating: 0x11, count: 16), groupThreshold: 1, groups: [.init(memberThreshold: 2, memberCount: 3)],
                iterationExponent: exponent, using: &generator)
        }
    }
}
