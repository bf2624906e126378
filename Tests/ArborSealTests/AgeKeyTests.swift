import ArborCore
import Crypto
import Foundation
import Testing

@testable import ArborSeal

/// Keys in age's text forms: the examples of the spec, Bech32's case rules, and the key tree's
/// nodes as age recipients and identities.
@Suite("age keys")
struct AgeKeyTests {
    /// The examples in C2SP age.md.
    static let specX25519Identity = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX"
    static let specX25519Recipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
    static let specPQIdentity = "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR"
    static let specPQRecipient = [
        "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zrqtzdxz95paef6caq5aapdmwjjqpjfdyxn",
        "zr2zampc3uxy0dg4z2n2gm9su72p0pc3u0jvev55l694v78snxg3yzvcl7yda0eyytqj6a0ec477lnhcy5hzpz4zq3pxanve4cn6",
        "2gqj3pjy5lqj9c6kyj4v2z8alktn8zh99970x79gjkv7522hv9kfz35zsnxhsx8wwtmu9cy3ftzjgwcp4sshn3llnylnpdsyz5jm",
        "72vefv4x5vfwytrefxg4wq3mv42wcrvkj742479zrxzpvp2p3e9fed9f0739vcu80r7ma28qfhnvlv4gfzel9q654dj3zmuvvz89",
        "3azhxdvs9fxd0r7jzchzcfcs5mkyyjxhw0n2z6dvp9yn9qfdp29h0azxqyjw6v7fhyuzj7zel0uq6j9rd7wgrpz7mf5dnj43jwsg",
        "vrc8qcnhy7tu6dkdujuxzkp9xj43xe8h92ktre2a3u3s8mm5mrp9nr9pwkgtz4mdlq9hgn4fps4k57ff6wddn2fy23t47sm20r8k",
        "m8sd2pcyyafnet8f0dajsrlyjeah4n3mssr6aseevuuskdvq5lzguyvpgwpta742c6698vgutzqgny8usfg0w2he7kq5vyxjd0f9",
        "hqg8xk26y9e4th0gezq92q4cpp5p2y9hf5f2cje5l0c3sa3a2qxmm38pxxvhxh99yzmfz0zk7r2s64nnwjhkfgfr3gf8xnmppcgm",
        "aykvh5sh6g7vk9790rf8ws0axmr2t7z8aae5fq2029uvcn2ghgt4fu4wgwdc0k0cz52qkvwmuzj8p8k5jgf3xzk5zmrkavjekjrp",
        "eq408xz3zxazwkc6tyfmhayrkfpjhwtz5mp8j8guqe43k2q6m2kte03vrw27y3wmqyu5etmt9dnkwcnnpmu9gz9dekfhdevf42uc",
        "shphnrk38ra6hx8w5f8q5ru0xdhrjxmwqf6cused7zc5xvq43r0zscjglpwlptpwydhqw64xz7ptjdyeyzpq2zkxtmzg29gzjpvz",
        "va4d3l0cenn9xs297wf4y4ukwrunf57xj6pm7nvrkwvtrt8hwcmgv8x7ajw7258ugf9wvkmk4052ekg87tw5vnx8nq2swyzv77v8",
        "yqlwsenvamr0zssknwts8rrhfuwj7ykysnq9jxy0uv3kuyt22djszjdtvpz6d0s0kwh8ryynddzud92emeyvvyqktd0jtj7rvvg5",
        "gch25v8smlvny3kvn5gagyz475ze2y6q466xqmz2n3hs77lddeqyta2nch5k2u5yacuk9ywnwfdzvyejnucz724hj77hrrmakm7p",
        "r3kxsrxq22ejexlud9fy2kdqmkg5yncz7jm5wv2qjk5w5kvcpqsry2yqffh2la52dxfjkjq5rzhjzeyn6dupn0qwtyv7s4lwg3xd",
        "arsdlwe2y3tujy480y7z39q259fzx6jhd2j0f5hagqpcpees7hzc2yrk5cy788uk3s7qvp5cpepx24gvws3m2g433exgwppnkjsc",
        "ec8qu4y9z9r7vccexjcjaen42245lmgmxmuavg9alej92322gvvyy2t6267v09ch64y0m53jff0vjj96s0ypk60hr3jw4myd6m5h",
        "pn3xjstx7tl2szhpr5qe8jj08ydjc4wy2rch2fhuy3pdfjax5awe9j99ly5hkntzz9fe5zatgjvzdd0kgtxs25njnajyf6ssekp7",
        "gelxquusn4pt25czh3scj68kq79wdn5tgm6yvm9nzavrg043x3msnygf8dweknw5jmqd0uvny6ttsn09508k0c55zfnegrm9efhx",
        "pfqdkmhh6gjtqmwze9pyyzk3tlhl53k2ykx3qheyty7saeq0d3fzv49zc0k",
    ].joined()

    @Test("the spec's X25519 identity gives the spec's recipient, and both re-encode identically")
    func specX25519() throws {
        let identity = try AgeIdentity(parsing: Self.specX25519Identity)
        #expect(identity.recipient?.encoded == Self.specX25519Recipient)
        #expect(identity.encodedSecretKey() == SecretBytes(copying: Array(Self.specX25519Identity.utf8)))
        #expect(try AgeRecipient(parsing: Self.specX25519Recipient).encoded == Self.specX25519Recipient)
    }

    @Test("the spec's post-quantum identity (an X-Wing seed) gives the spec's 1216-byte recipient")
    func specPostQuantum() throws {
        let identity = try AgeIdentity(parsing: Self.specPQIdentity)
        #expect(identity.recipient?.encoded == Self.specPQRecipient)
        #expect(identity.encodedSecretKey() == SecretBytes(copying: Array(Self.specPQIdentity.utf8)))
        // Lowercase decodes to the same key, mixed case is refused.
        #expect(try AgeIdentity(parsing: Self.specPQIdentity.lowercased()).recipient?.encoded == Self.specPQRecipient)
        let recipient = try AgeRecipient(parsing: Self.specPQRecipient)
        #expect(recipient.isPostQuantum && recipient.stanzaType == "mlkem768x25519")
        #expect(Self.specPQRecipient.count > 1900)
    }

    @Test("Bech32: either case is accepted, mixed case and bad checksums are not")
    func bech32Rules() throws {
        #expect(try AgeIdentity(parsing: Self.specX25519Identity.lowercased()).recipient?.encoded == Self.specX25519Recipient)
        #expect(try AgeRecipient(parsing: Self.specX25519Recipient.uppercased()).encoded == Self.specX25519Recipient)
        var mixed = Self.specX25519Recipient
        mixed.replaceSubrange(mixed.index(mixed.startIndex, offsetBy: 5)...mixed.index(mixed.startIndex, offsetBy: 5), with: "V")
        #expect(throws: ArborError(.malformedInput, "")) { try AgeRecipient(parsing: mixed) }
        var typo = Array(Self.specX25519Recipient)
        typo[10] = typo[10] == "q" ? "p" : "q"
        #expect(throws: ArborError(.malformedInput, "")) { try AgeRecipient(parsing: String(typo)) }
        // An identity is not a recipient, and the messages never repeat the secret.
        do {
            _ = try AgeRecipient(parsing: Self.specX25519Identity)
            Issue.record("an identity parsed as a recipient")
        } catch let error as ArborError {
            #expect(!error.message.contains("GFPYYSJZ"))
        }
        #expect(throws: ArborError(.malformedInput, "")) { try AgeIdentity(parsing: "AGE-SECRET-KEY-1") }
        #expect(throws: ArborError(.malformedInput, "")) { try AgeIdentity(parsing: "") }
    }

    @Test("descriptions never show a secret")
    func redaction() throws {
        let identity = try AgeIdentity(parsing: Self.specX25519Identity)
        #expect(!"\(identity)".contains("GFPYYSJZ") && "\(identity)".contains("redacted"))
        let passphrase = try AgeIdentity.scrypt(passphrase: SecretBytes(copying: Array("hunter2".utf8)))
        #expect(!"\(passphrase)".contains("hunter2"))
        let recipient = try AgeRecipient.scrypt(passphrase: SecretBytes(copying: Array("hunter2".utf8)))
        #expect(!"\(recipient)".contains("hunter2"))
    }

    @Test("identity and recipient files: comments and blank lines skipped, bad lines named by number")
    func files() throws {
        let text = "# created: now\n# public key: \(Self.specX25519Recipient)\n\n\(Self.specX25519Identity)\n\(Self.specPQIdentity)\n"
        let identities = try AgeIdentity.parseFile(text)
        #expect(identities.count == 2)
        #expect(try AgeRecipient.parseFile("# team\n\(Self.specX25519Recipient)\n  \n").count == 1)
        do {
            _ = try AgeIdentity.parseFile("# x\nAGE-SECRET-KEY-1NOTAKEY\n")
            Issue.record("a bad identity file parsed")
        } catch let error as ArborError {
            #expect(error.message.hasPrefix("line 2:"))
            #expect(!error.message.contains("NOTAKEY"))
        }
        #expect(throws: ArborError(.malformedInput, "")) { try AgeIdentity.parseFile("# only comments\n") }
    }

    @Test("a node of the key tree is an age recipient (X25519 and post-quantum) and opens what is sent to it")
    func keyTreeNode() throws {
        let root = RootKey.generate()
        let node = try root.node.descendant(try TreePath(parsing: "eu/node-7")).keySet()
        let plaintext = Array("for node-7 only".utf8)
        for (recipient, identity) in [
            (AgeRecipient.x25519(of: node.publicKeys), AgeIdentity.x25519(of: node)),
            (AgeRecipient.postQuantum(of: node.publicKeys), AgeIdentity.postQuantum(of: node)),
        ] {
            let file = try Age.encrypt(plaintext, to: [recipient])
            #expect(try Age.decrypt(file, identities: [identity]) == plaintext)
            // The standard text forms round-trip to the same keys.
            let reparsed = try AgeIdentity(parsing: try #require(identity.encodedSecretKey()))
            #expect(reparsed.recipient?.encoded == recipient.encoded)
            #expect(try Age.decrypt(file, identities: [reparsed]) == plaintext)
        }
        #expect(AgeRecipient.postQuantum(of: node).encoded?.hasPrefix("age1pq1") == true)
        #expect(AgeRecipient.x25519(of: node).encoded == AgeRecipient.x25519(of: node.publicKeys).encoded)
    }
}
