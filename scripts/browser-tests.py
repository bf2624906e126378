#!/usr/bin/env python3
"""The browser client (docs/e2ee.md §18) in headless Chromium, against a real node.

Starts `arbor serve --dev` on a loopback port of its own, opens the node's /app pages in headless
Chromium (selenium + Debian's chromium-driver) and checks, printing each check:

  vectors      e2ee.js reproduces Tests/ArborE2EETests/Vectors/e2ee-*.json byte for byte where
               deterministic (and verifies the rest)
               (the JSON is injected with execute_script; the node has no test-only route), and
               refuses each wrapped key under another purpose, key or a changed byte
  formats      §10–§14 round trips in the browser: hybrid signature, safety number, envelope,
               message, stream, and the tampering each format must catch
  features     feature detection: nothing missing here; a missing algorithm is named on the page;
               the fallback without SubtleCrypto.supports
  page         the demo page is served with a strict Content-Security-Policy
  flows        with the node's /v1/e2ee routes: sign-up, sign-in on a second device (a fresh
               browser profile), a conversation between two accounts, messages both ways, a
               streamed reply, and a screenshot of the demo page (skipped, saying why, on a node
               without those routes)

and prints measurements (sign-up and sign-in at 600,000 PBKDF2 rounds, message encrypt and
decrypt, stream chunk open, against the raw AES-GCM in the same browser).

Usage: scripts/browser-tests.py [--arbor .build/debug/arbor] [--postgres] [--swift-step 'COMMAND']
--postgres runs the node on a throwaway PostgreSQL (arbor serve --e2ee-database; scripts/throwaway_postgres.py)
and checks that a pg_dump after the flows holds none of their plaintexts.
--swift-step (or ARBOR_SWIFT_STEP) plugs in the Swift side (the SDK's test command): it runs with
ARBOR_NODE (the node's URL) and ARBOR_STEP_DIR set, after the browser's conversation; it finds in
$ARBOR_STEP_DIR/browser.json {node, conversation, writer: {name, password}, reader: {name,
password}, texts: [...], streamed} what the browser wrote, signs in as the reader, and must exit 0
only if it read and verified all of it; it may then write, as the reader, a message and a streamed
reply, and leave $ARBOR_STEP_DIR/swift.json {text, streamed}, which the browser reads back.
Exits non-zero when a check fails.
"""
import argparse
import json
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
VECTORS = os.path.join(ROOT, "Tests", "ArborE2EETests", "Vectors")


class Report:
    def __init__(self):
        self.failed = 0
        self.passed = 0
        self.skipped = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"  ok    {name}")
        else:
            self.failed += 1
            print(f"  FAIL  {name}{': ' + str(detail) if detail else ''}")
        sys.stdout.flush()
        return ok

    def skip(self, name, why):
        self.skipped += 1
        print(f"  SKIPPED {name}: {why}")

    def checks(self, prefix, results):
        """results: {name: true | error text} from the browser."""
        for name, result in results.items():
            self.check(f"{prefix}: {name}", result is True, result)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(arbor, work, database=None):
    port = free_port()
    log = open(os.path.join(work, "node.log"), "wb")
    extra = ["--e2ee-database", database] if database else []
    process = subprocess.Popen([arbor, "serve", "--dev", "--listen", f"127.0.0.1:{port}", *extra], stdout=log, stderr=subprocess.STDOUT,
                               cwd=work, env={**os.environ, "ARBOR_KEYRINGS": os.path.join(work, "keyrings")})
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(base + "/v1/sys/health", timeout=1)
            return process, base
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"browser-tests: the node did not start; its log:\n{open(os.path.join(work, 'node.log')).read()[-2000:]}")


def browser(work, name):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,900",
                     f"--user-data-dir={os.path.join(work, 'profile-' + name)}"]:
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    driver.set_script_timeout(300)
    return driver


def run(driver, body, *args):
    """Runs `body` (an async function body with `e2ee` and `args` in scope) in the page; returns its value."""
    script = (
        "const done = arguments[arguments.length - 1]; const args = Array.from(arguments).slice(0, -1);"
        "(async () => { const e2ee = await import('/app/e2ee.js'); " + body + " })()"
        ".then((ok) => done({ ok }), (e) => done({ error: String((e && e.stack) || e) }));")
    result = driver.execute_async_script(script, *args)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result["ok"]


# Helpers defined in the page for the checks below.
PRELUDE = """
const h = e2ee.fromHex, x = e2ee.toHex;
const results = {};
const check = async (name, f) => { try { const r = await f(); results[name] = r === true ? true : 'got ' + JSON.stringify(r); }
  catch (e) { results[name] = String(e.stack || e); } };
const refused = async (code, f) => { try { await f(); return 'accepted'; } catch (e) { return e.code === code ? true : 'refused with ' + e; } };
const flip = (bytes, at) => { const c = bytes.slice(); c[at] ^= 1; return c; };
"""

ACCOUNT_VECTORS = PRELUDE + """
const v = args[0];
const account = h(v.account), salt = h(v.salt);
const P = await e2ee.pbkdf2(v.password, salt, v.rounds);
await check('stretched (PBKDF2)', () => x(P) === v.stretched);
await check('key_encryption_key', async () => x(await e2ee.hkdfBits(P, e2ee.passwordKekInfo(account))) === v.key_encryption_key);
await check('login_seed', async () => x(await e2ee.hkdfBits(P, e2ee.loginKeyInfo(account))) === v.login_seed);
await check('recovery_key', async () => x(await e2ee.hkdfBits(h(v.recovery_entropy), e2ee.recoveryKeyInfo(account))) === v.recovery_key);
const made = await e2ee.signUp(v.password, { rounds: v.rounds, fixed: { account, salt, masterKey: h(v.master_key),
  identitySeeds: h(v.identity_seeds), recoveryEntropy: h(v.recovery_entropy), masterNonce: h(v.master_nonce),
  recoveryNonce: h(v.recovery_nonce), identityNonce: h(v.identity_nonce) } });
const r = made.record;
await check('sign-up: login_public_key', () => x(r.loginPublicKey) === v.login_public_key);
await check('sign-up: master_by_password', () => x(r.masterByPassword) === v.master_by_password);
await check('sign-up: master_by_recovery', () => x(r.masterByRecovery) === v.master_by_recovery);
await check('sign-up: identity (wrapped seeds)', () => x(r.identity) === v.identity);
await check('sign-up: receiving_public_key (X-Wing)', () => x(r.identityPublicKeys.receiving) === v.receiving_public_key);
await check('sign-up: signing_public_key (Ed25519)', () => x(r.identityPublicKeys.signing) === v.signing_public_key);
await check('sign-up: pq_signing_public_key (ML-DSA-65)', () => x(r.identityPublicKeys.pqSigning) === v.pq_signing_public_key);
await check('sign-up: recovery_words', () => made.recoveryWords.join(' ') === v.recovery_words.join(' '));
await check('login_signature', async () => x(await e2ee.signLogin(made.keys.login, account, h(v.login_challenge))) === v.login_signature);
const record = { account, salt, rounds: v.rounds, loginPublicKey: h(v.login_public_key), masterByPassword: h(v.master_by_password),
  masterByRecovery: h(v.master_by_recovery), identity: h(v.identity), identityPublicKeys: { receiving: h(v.receiving_public_key),
  signing: h(v.signing_public_key), pqSigning: h(v.pq_signing_public_key) } };
const signedIn = await e2ee.signIn(v.password, record);
await check('sign-in opens the master key and the identity (non-extractable)', () =>
  !signedIn.master.extractable && !signedIn.identity.signing.extractable && !signedIn.identity.pqSigning.extractable && !signedIn.identity.receiving.extractable);
await check('sign-in: the login key signs the vector challenge', async () => x(await e2ee.signLogin(signedIn.login, account, h(v.login_challenge))) === v.login_signature);
await check('recovery: the words give the entropy', async () => x(await e2ee.parseRecoveryCode(v.recovery_words.join(' ').toUpperCase())) === v.recovery_entropy);
await check('recovery: dashes and spaces', async () => x(await e2ee.parseRecoveryCode(e2ee.recoveryGroups(v.recovery_words).join(' - '))) === v.recovery_entropy);
await check('recovery: the code opens the master key, which opens the identity', async () => {
  const key = await e2ee.recoveryKey(await e2ee.parseRecoveryCode(v.recovery_words.join(' ')), account);
  const master = await e2ee.unwrapMasterKey(key, record.masterByRecovery, 'master/recovery', account);
  return (await e2ee.openIdentity(master, record)).publicKeys.signing.length === 32; });
await check('recovery sets a new password that opens the same master key and identity', async () => {
  const { fields, keys } = await e2ee.recover(v.recovery_words.join(' '), record, 'a new password', v.rounds);
  const again = await e2ee.signIn('a new password', { ...record, ...fields });
  const proof = e2ee.recoveryProofMessage(account, h(v.login_challenge), fields.loginPublicKey);
  const signature = await e2ee.hybridSign(keys.identity, proof);
  return x(again.identity.publicKeys.pqSigning) === v.pq_signing_public_key && await e2ee.hybridVerify(again.identity.public, proof, signature)
    && x(fields.loginPublicKey) !== v.login_public_key; });
await check('password change wraps the same master key under the new password only', async () => {
  const { fields } = await e2ee.changePassword(signedIn, record, 'changed password');
  const again = await e2ee.signIn('changed password', { ...record, ...fields });
  const old = await refused('authentication failed', () => e2ee.signIn(v.password, { ...record, ...fields }));
  return again.identity.publicKeys.signing.length === 32 && old === true; });
await check('recovery: a word off the list is refused by place', async () => {
  const w = v.recovery_words.slice(); w[4] = 'notaword';
  try { await e2ee.parseRecoveryCode(w.join(' ')); return 'accepted'; } catch (e) { return e.code === 'invalid argument' && e.message.includes('word 5') && !e.message.includes('notaword'); } });
await check('recovery: a swapped pair fails the checksum', async () => {
  const w = v.recovery_words.slice(); [w[0], w[1]] = [w[1], w[0]]; return refused('invalid argument', () => e2ee.parseRecoveryCode(w.join(' '))); });
await check('recovery: 17 words refused', () => refused('invalid argument', () => e2ee.parseRecoveryCode(v.recovery_words.slice(1).join(' '))));
await check('wrapped master refused under another purpose', () => refused('authentication failed',
  () => e2ee.unwrapMasterKey(signedIn.kek, record.masterByPassword, 'master/recovery', account)));
await check('wrapped master refused in another account', () => refused('authentication failed',
  () => e2ee.unwrapMasterKey(signedIn.kek, record.masterByPassword, 'master/password', flip(account, 0))));
await check('wrapped master refused with a changed byte', () => refused('authentication failed',
  () => e2ee.unwrapMasterKey(signedIn.kek, flip(record.masterByPassword, 20), 'master/password', account)));
await check('wrapped master refused under another password', async () => refused('authentication failed', async () => {
  const other = await e2ee.passwordKeys('another password', salt, v.rounds, account);
  return e2ee.unwrapMasterKey(other.kek, record.masterByPassword, 'master/password', account); }));
await check('a wrapped key of version 2 is malformed', () => refused('malformed input',
  () => e2ee.unwrapBytes(signedIn.master, flip(record.identity, 0).map((b, i) => i === 0 ? 2 : b), 'identity', account)));
await check('a wrapped key of 29 bytes is malformed', () => refused('malformed input',
  () => e2ee.unwrapBytes(signedIn.master, record.identity.slice(0, 29), 'identity', account)));
await check('a swapped identity public key is a conflict', () => refused('conflict',
  () => e2ee.openIdentity(signedIn.master, { ...record, identityPublicKeys: { ...record.identityPublicKeys, signing: flip(record.identityPublicKeys.signing, 3) } })));
return results;
"""

FORMATS = PRELUDE + """
const te = new TextEncoder(), td = new TextDecoder();
const ids = (n) => Array.from({ length: n }, () => e2ee.randomBytes(16));
const [alice, bob, carol] = ids(3);
const seeds = () => e2ee.randomBytes(96);
const A = await e2ee.identityFromSeeds(seeds()), B = await e2ee.identityFromSeeds(seeds()), C = await e2ee.identityFromSeeds(seeds());
const Apub = await e2ee.importIdentityPublicKeys(A.publicKeys), Bpub = await e2ee.importIdentityPublicKeys(B.publicKeys);
const Cpub = await e2ee.importIdentityPublicKeys(C.publicKeys);
const M = te.encode('hybrid');
const sig = await e2ee.hybridSign(A, M);
await check('hybrid signature: 3373 bytes, verifies', async () => sig.length === 3373 && await e2ee.hybridVerify(Apub, M, sig));
await check('hybrid signature: a changed Ed25519 half fails', async () => !(await e2ee.hybridVerify(Apub, M, flip(sig, 10))));
await check('hybrid signature: a changed ML-DSA half fails', async () => !(await e2ee.hybridVerify(Apub, M, flip(sig, 100))));
await check('hybrid signature: another signer fails', async () => !(await e2ee.hybridVerify(Bpub, M, sig)));
await check('safety number: 12 groups of 5 digits, 12 words, differs per identity', async () => {
  const a = await e2ee.safetyNumber(alice, A.publicKeys), b = await e2ee.safetyNumber(alice, B.publicKeys);
  return /^(\\d{5} ){11}\\d{5}$/.test(a.digits) && a.words.length === 12 && a.digits !== b.digits; });
const conv = await e2ee.newConversation(alice);
await check('conversation id commits to creator and nonce', async () => { await e2ee.checkConversationId(conv.id, alice, conv.nonce);
  return refused('conflict', () => e2ee.checkConversationId(conv.id, bob, conv.nonce)); });
const envBob = await e2ee.sealEnvelope({ conversation: conv.id, epoch: 0, recipient: bob, recipientPublic: Bpub, adder: alice, adderIdentity: A, epochKeyBytes: conv.epochKeyBytes });
await check('envelope: 4594 bytes', () => envBob.length === 4594);
const parsedBob = e2ee.parseEnvelope(envBob);
const epochKeyBob = await e2ee.openEnvelope(parsedBob, B, Apub);
await check('envelope: opens for its recipient to a non-extractable key', () => epochKeyBob.extractable === false);
await check('envelope: the epoch key bytes (for adding someone) match', async () => x(await e2ee.openEnvelopeBytes(parsedBob, B, Apub)) === x(conv.epochKeyBytes));
await check('envelope: another recipient cannot open it', () => refused('authentication failed', () => e2ee.openEnvelope(parsedBob, C, Apub)));
await check('envelope: a changed sealed key fails', () => refused('authentication failed', () => e2ee.openEnvelope(e2ee.parseEnvelope(flip(envBob, 1180)), B, Apub)));
await check('envelope: a moved envelope (epoch changed) fails', () => refused('authentication failed', () => e2ee.openEnvelope(e2ee.parseEnvelope(flip(envBob, 20)), B, Apub)));
await check('envelope: a claimed other adder fails', () => refused('authentication failed', () => e2ee.openEnvelope(parsedBob, B, Cpub)));
await check('membership: the creator adds at epoch 0; a non-member adder is ignored', () => {
  const valid = (recipient, adder, epoch) => ({ recipient, adder, epoch, valid: true });
  const m = e2ee.membership(x(alice), [valid(alice, alice, 0), valid(bob, alice, 0), valid(carol, carol, 0), valid(carol, bob, 1), valid(bob, bob, 1)]);
  return m.members.get(0).size === 2 && m.invalid.length === 1 && m.members.get(1).has(x(carol)) && m.openers.get(1) === x(bob); });
await check('membership: one opener per epoch, who holds a key of it', () => {
  const valid = (recipient, adder, epoch) => ({ recipient, adder, epoch, valid: true });
  const base = [valid(alice, alice, 0), valid(bob, alice, 0), valid(carol, alice, 0)];
  const hidden = e2ee.membership(x(alice), [...base, valid(bob, carol, 1)]);
  const both = e2ee.membership(x(alice), [...base, valid(alice, alice, 1), valid(bob, alice, 1), valid(bob, carol, 1), valid(carol, carol, 1)]);
  const noCreatorKey = e2ee.membership(x(alice), [valid(bob, alice, 0)]);
  return !hidden.members.has(1) && hidden.invalid.length === 1 && both.openers.get(1) === x(alice)
    && both.members.get(1).size === 2 && both.invalid.length === 2 && !noCreatorKey.members.has(0); });
const epochKeyAlice = await e2ee.importEpochKey(conv.epochKeyBytes);
const sent = await e2ee.sealMessage({ conversation: conv.id, epoch: 0, epochKey: epochKeyAlice, sender: alice, sequence: 1, plaintext: te.encode('hello bob'), identity: A });
const msg = e2ee.parseMessage(sent.bytes);
await check('message: 90 + n + 16 + 3373 bytes, fields parse', () => sent.bytes.length === 90 + 9 + 16 + 3373 && msg.sequence === 1 && x(msg.sender) === x(alice));
await check('message: the recipient opens it', async () => td.decode((await e2ee.openMessage(msg, epochKeyBob, Apub)).plaintext) === 'hello bob');
await check('message: a changed sender is refused', async () => { const forged = sent.bytes.slice(); forged.set(bob, 38);
  return refused('authentication failed', () => e2ee.openMessage(e2ee.parseMessage(forged), epochKeyBob, Bpub)); });
await check('message: a changed ciphertext byte is refused', () => refused('authentication failed', () => e2ee.openMessage(e2ee.parseMessage(flip(sent.bytes, 95)), epochKeyBob, Apub)));
await check('message: claimed by another member and re-signed by them fails to open', async () => {
  const body = sent.bytes.slice(0, sent.bytes.length - 3373); body.set(bob, 38);
  const resig = await e2ee.hybridSign(B, e2ee.concat(te.encode('arbor/v1/e2ee/message'), new Uint8Array([0]), body));
  return refused('authentication failed', () => e2ee.openMessage(e2ee.parseMessage(e2ee.concat(body, resig)), epochKeyBob, Bpub)); });
await check('message order: replay, reorder, a sequence gap, a reply before what it answers', async () => {
  const order = new e2ee.MessageOrder();
  const m2 = e2ee.parseMessage((await e2ee.sealMessage({ conversation: conv.id, epoch: 0, epochKey: epochKeyAlice, sender: alice, sequence: 3, previous: msg.id, plaintext: te.encode('x'), identity: A })).bytes);
  const first = order.accept(msg);
  const replay = await refused('replayed', () => order.accept(msg));
  const gap = order.accept(m2);
  const back = await refused('reordered', async () => order.accept(e2ee.parseMessage((await e2ee.sealMessage({ conversation: conv.id, epoch: 0, epochKey: epochKeyAlice, sender: alice, sequence: 2, plaintext: te.encode('y'), identity: A })).bytes)));
  const other = new e2ee.MessageOrder();
  const early = other.accept(m2);
  const late = await refused('reordered', () => other.accept(msg));
  return first.missing === 0 && replay === true && gap.missing === 1 && back === true && early.answersMissing === true && late === true; });
// A stream: the kind-2 message carries the stream key; chunks open in order only.
const streamKeyBytes = e2ee.randomBytes(32);
const head = await e2ee.sealMessage({ kind: e2ee.KIND_STREAM, conversation: conv.id, epoch: 0, epochKey: epochKeyAlice, sender: alice, sequence: 4, plaintext: streamKeyBytes, identity: A });
const writer = await e2ee.StreamWriter.start(head, streamKeyBytes, A);
const pieces = ['The ', 'quick ', 'brown ', 'fox', ''];
const chunks = [];
for (let i = 0; i < pieces.length; i++) chunks.push({ chunk: await writer.next(te.encode(pieces[i]), i === pieces.length - 1), final: i === pieces.length - 1 });
const seal = await writer.seal();
const headRead = e2ee.parseMessage(head.bytes);
const opened = await e2ee.openMessage(headRead, epochKeyBob, Apub);
await check('stream: the stream message opens to a non-extractable stream key', () => opened.streamKey.extractable === false);
const readAll = async (list) => { const reader = await e2ee.StreamReader.start(headRead, opened.streamKey); let text = '';
  for (const c of list) text += td.decode(await reader.next(c.chunk, c.final)); return { reader, text }; };
await check('stream: chunks open in order, the seal verifies', async () => { const { reader, text } = await readAll(chunks);
  return text === 'The quick brown fox' && await reader.finish(seal, Apub); });
await check('stream: a dropped chunk fails', () => refused('authentication failed', () => readAll([chunks[0], chunks[2]])));
await check('stream: reordered chunks fail', () => refused('authentication failed', () => readAll([chunks[1], chunks[0]])));
await check('stream: a duplicated chunk fails', () => refused('authentication failed', () => readAll([chunks[0], chunks[0]])));
await check('stream: a final flag moved earlier fails', () => refused('authentication failed', () => readAll([{ ...chunks[0], final: true }])));
await check('stream: truncation (no final chunk) is reported', async () => { const { reader } = await readAll(chunks.slice(0, 3));
  return refused('truncated', () => reader.finish(seal, Apub)); });
await check('stream: a seal by another member fails', async () => { const { reader } = await readAll(chunks);
  return refused('authentication failed', () => reader.finish(seal, Bpub)); });
return results;
"""

CONVERSATION_VECTORS = PRELUDE + """
const v = args[0];
const te = new TextEncoder(), td = new TextDecoder();
const people = {};
for (const who of ['alice', 'bob']) {
  const p = v[who];
  const identity = await e2ee.identityFromSeeds(h(p.identity_seeds));
  people[who] = { account: h(p.account), identity, pub: await e2ee.importIdentityPublicKeys(identity.publicKeys) };
  await check(`${who}: identity public keys from the seeds`, () => x(identity.publicKeys.receiving) === p.receiving_public_key
    && x(identity.publicKeys.signing) === p.signing_public_key && x(identity.publicKeys.pqSigning) === p.pq_signing_public_key);
  await check(`${who}: safety number`, async () => { const n = await e2ee.safetyNumber(h(p.account), identity.publicKeys);
    return n.digits === p.safety_number_digits && n.words.join(' ') === p.safety_number_words.join(' '); });
}
const { alice, bob } = people;
const conversation = h(v.conversation);
await check('conversation id', async () => x(await e2ee.conversationId(alice.account, h(v.conversation_nonce))) === v.conversation);
const envelope = e2ee.parseEnvelope(h(v.envelope_to_bob));
await check('envelope: verifies under Alice, opens for Bob to the epoch key', async () =>
  await e2ee.verifyEnvelope(envelope, alice.pub) && x(await e2ee.openEnvelopeBytes(envelope, bob.identity, alice.pub)) === v.epoch_key);
await check('envelope: given its X-Wing ciphertext, the sealed key recomputes', async () => {
  const ss = new Uint8Array(await crypto.subtle.decapsulateBits({ name: e2ee.XWING }, bob.identity.receiving, envelope.ciphertext));
  const wrap = await crypto.subtle.importKey('raw', await e2ee.hkdfBits(ss, te.encode('arbor/v1/e2ee/envelope-key\\0')), 'AES-GCM', false, ['encrypt']);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: envelope.header }, wrap, h(v.epoch_key)));
  return x(sealed) === x(envelope.sealed); });
await check('envelope: the Ed25519 half of its signature recomputes', async () => {
  const signed = e2ee.concat(te.encode('arbor/v1/e2ee/envelope\\0'), envelope.header, envelope.ciphertext, envelope.sealed);
  return x(new Uint8Array(await crypto.subtle.sign('Ed25519', alice.identity.signing, signed))) === x(envelope.signature.subarray(0, 64)); });
await check('envelope: Alice cannot open Bob\\'s envelope', () => refused('authentication failed', () => e2ee.openEnvelope(envelope, alice.identity, alice.pub)));
const epochKey = await e2ee.importEpochKey(h(v.epoch_key));
const sealedBy = {};
for (const [i, m] of v.messages.entries()) {
  const sender = x(alice.account) === m.sender ? alice : bob;
  await check(`message ${i}: message key`, async () => x(await e2ee.hkdfBits(h(v.epoch_key), e2ee.messageKeyInfo(conversation, m.epoch))) === m.message_key);
  const plaintext = m.kind === e2ee.KIND_STREAM ? h(m.plaintext) : te.encode(m.plaintext);
  const made = await e2ee.sealMessage({ kind: m.kind, conversation, epoch: m.epoch, epochKey, sender: h(m.sender), sequence: m.sequence,
    previous: h(m.previous), plaintext, identity: sender.identity, messageId: h(m.id), nonce: h(m.nonce) });
  sealedBy[i] = made;
  await check(`message ${i}: header`, () => x(made.header) === m.header);
  await check(`message ${i}: recomputes byte for byte but the ML-DSA half`, () => made.bytes.length === h(m.message).length
    && x(made.bytes.subarray(0, made.bytes.length - 3309)) === m.message.slice(0, 2 * (made.bytes.length - 3309)));
  const parsed = e2ee.parseMessage(h(m.message));
  await check(`message ${i}: Bob's reader opens the file's message`, async () => { const opened = await e2ee.openMessage(parsed, epochKey, sender.pub);
    return m.kind === e2ee.KIND_STREAM ? opened.streamKey.extractable === false : td.decode(opened.plaintext) === m.plaintext; });
  await check(`message ${i}: a changed header byte is refused`, () => refused('authentication failed', () => e2ee.openMessage(e2ee.parseMessage(flip(h(m.message), 60)), epochKey, sender.pub)));
  await check(`message ${i}: a changed sender is refused`, () => { const other = sender === alice ? bob : alice; const forged = h(m.message); forged.set(other.account, 38);
    return refused('authentication failed', () => e2ee.openMessage(e2ee.parseMessage(forged), epochKey, other.pub)); });
}
await check('messages: read in order; the second answers the first', () => { const order = new e2ee.MessageOrder();
  const a = order.accept(e2ee.parseMessage(h(v.messages[0].message))), b = order.accept(e2ee.parseMessage(h(v.messages[1].message)));
  return a.missing === 0 && b.answersMissing === false; });
const streamMessage = v.messages.find((m) => m.kind === e2ee.KIND_STREAM);
const streamParsed = e2ee.parseMessage(h(streamMessage.message));
const streamSender = x(alice.account) === streamMessage.sender ? alice : bob;
await check('stream key is the stream message\\'s plaintext', () => v.stream_key === streamMessage.plaintext);
await check('chunk key', async () => x(await e2ee.hkdfBits(h(v.stream_key), e2ee.chunkKeyInfo(conversation, streamParsed.epoch, streamParsed.id))) === v.chunk_key);
const writer = await e2ee.StreamWriter.start({ bytes: h(streamMessage.message) }, h(v.stream_key), streamSender.identity);
await check('chunks recompute byte for byte', async () => { for (const c of v.chunks) { if (x(await writer.next(te.encode(c.piece), c.is_final)) !== c.chunk) return 'chunk ' + c.index; } return true; });
await check('transcript hash', async () => x(await e2ee.sha256(e2ee.concat(...v.chunks.flatMap((c) => { const b = h(c.chunk); const n = new Uint8Array(4); new DataView(n.buffer).setUint32(0, b.length); return [n, b]; })))) === v.transcript_hash);
await check('seal: its Ed25519 half recomputes', async () => x((await writer.seal()).subarray(0, 64)) === v.seal.slice(0, 128));
const streamKey = (await e2ee.openMessage(streamParsed, epochKey, streamSender.pub)).streamKey;
const readChunks = async (list) => { const reader = await e2ee.StreamReader.start(streamParsed, streamKey); let text = '';
  for (const c of list) text += td.decode(await reader.next(h(c.chunk), c.is_final)); return { reader, text }; };
await check('stream: read in the browser, the seal verifies', async () => { const { reader, text } = await readChunks(v.chunks);
  return text === v.chunks.map((c) => c.piece).join('') && await reader.finish(h(v.seal), streamSender.pub); });
await check('stream: a chunk at another index is refused', () => refused('authentication failed', () => readChunks([v.chunks[1]])));
await check('stream: a flipped final flag is refused', () => refused('authentication failed', () => readChunks(v.chunks.map((c) => ({ ...c, is_final: !c.is_final })))));
return results;
"""

# A reader whose connection drops after two chunks resumes after the last chunk it verified.
RESUME = """
const { ArborClient } = await import('/app/client.js');
const client = new ArborClient();
await client.signIn(args[0], args[1], { device: 'resume test' });
const ids = await client.conversationIds();
const state = await client.conversation(ids[ids.length - 1]);
const stream = (await client.read(state)).find((item) => item.stream);
if (!stream) return 'no stream message';
const realFetch = window.fetch;
const froms = [];
window.fetch = async (url, init) => {
  const response = await realFetch(url, init);
  if (!String(url).includes('/streams/')) return response;
  froms.push(new URL(url, location.href).searchParams.get('from'));
  if (froms.length > 1) return response;
  const reader = response.body.getReader();
  let text = '';
  while ((text.match(/\\n\\n/g) || []).length < 2) { const { value, done } = await reader.read(); if (done) break; text += new TextDecoder().decode(value); }
  reader.cancel();
  const prefix = text.split('\\n\\n').slice(0, 2).join('\\n\\n') + '\\n\\n';
  let pulls = 0;
  const cut = new ReadableStream({ pull(controller) { if (pulls++ === 0) controller.enqueue(new TextEncoder().encode(prefix)); else controller.error(new TypeError('connection dropped')); } });
  return new Response(cut, { headers: response.headers });
};
let text = '';
try {
  const sealed = await client.readStream(state, stream.stream, (piece) => { text += piece; });
  await client.signOut();
  return { sealed, froms, text };
} finally { window.fetch = realFetch; }
"""

# Alice removes Bob: the conversation moves to epoch 1, whose key Bob never receives.
REMOVE = """
const { ArborClient } = await import('/app/client.js');
const alice = new ArborClient();
await alice.signIn(args[0], args[2], { device: 'removal test' });
const ids = await alice.conversationIds();
let state = await alice.conversation(ids[ids.length - 1]);
await alice.read(state);
state = await alice.removeParticipant(state, args[1]);
await alice.send(state, 'after the removal');
const epoch = state.epoch, members = [...state.members.get(epoch)];
await alice.signOut();
const bob = new ArborClient();
await bob.signIn(args[1], args[2], { device: 'removal test' });
const bobState = await bob.conversation(ids[ids.length - 1]);
const read = await bob.read(bobState);
await bob.signOut();
const last = read[read.length - 1];
return { epoch, members: members.length, bobEpoch: bobState.epoch, lastError: last.error ? last.error.code : null, lastText: last.text ?? null };
"""

MEASURE = """
const te = new TextEncoder();
const time = async (n, f) => { const t0 = performance.now(); for (let i = 0; i < n; i++) await f(i); return (performance.now() - t0) / n; };
const out = {};
let made;
out['sign-up (600,000 PBKDF2 rounds; keys only, no request), mean of 3, ms'] = await time(3, async () => { made = await e2ee.signUp('a long passphrase for measuring'); });
out['sign-in (600,000 PBKDF2 rounds; keys only, no request), mean of 3, ms'] = await time(3, () => e2ee.signIn('a long passphrase for measuring', made.record));
out['PBKDF2 alone (600,000 rounds), ms'] = await time(3, () => e2ee.pbkdf2('a long passphrase for measuring', made.record.salt, 600000));
const A = made.keys.identity, me = made.keys.account;
const Apub = await e2ee.importIdentityPublicKeys(A.publicKeys);
const conv = await e2ee.newConversation(me);
const epochKey = await e2ee.importEpochKey(conv.epochKeyBytes);
const text = te.encode('x'.repeat(200));
let sent;
const n = 20;
out['message encrypt + hybrid sign (200 bytes), mean of 20, ms'] = await time(n, async (i) => { sent = await e2ee.sealMessage({ conversation: conv.id, epoch: 0, epochKey, sender: me, sequence: i + 1, plaintext: text, identity: A }); });
const parsed = e2ee.parseMessage(sent.bytes);
out['message hybrid verify + decrypt (200 bytes), mean of 20, ms'] = await time(n, () => e2ee.openMessage(parsed, epochKey, Apub));
const streamKey = e2ee.randomBytes(32);
const key = await e2ee.chunkKey(streamKey, conv.id, 0, sent.id);
const context = e2ee.concat(conv.id, new Uint8Array(4), sent.id);
const piece = te.encode('token ');
const m = 500;
const chunks = [];
out['stream chunk seal (6-byte token), mean of 500, µs'] = 1000 * await time(m, async (i) => { chunks.push(await e2ee.sealChunk(key, context, i, false, piece)); });
out['stream chunk open (6-byte token), mean of 500, µs'] = 1000 * await time(m, (i) => e2ee.openChunk(key, context, i, false, chunks[i]));
const raw = await crypto.subtle.importKey('raw', streamKey, 'AES-GCM', false, ['encrypt', 'decrypt']);
const iv = new Uint8Array(12);
const rawSealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, raw, piece);
out['raw AES-GCM decrypt (6 bytes, same browser), mean of 500, µs'] = 1000 * await time(m, () => crypto.subtle.decrypt({ name: 'AES-GCM', iv }, raw, rawSealed));
out['stream chunk overhead, bytes'] = chunks[0].length - piece.length;
return out;
"""


def account_vectors(report, driver):
    path = os.path.join(VECTORS, "e2ee-accounts.json")
    with open(path) as f:
        vectors = json.load(f)
    report.checks("accounts vector", run(driver, ACCOUNT_VECTORS, vectors))
    with open(os.path.join(VECTORS, "e2ee-conversations.json")) as f:
        report.checks("conversations vector", run(driver, CONVERSATION_VECTORS, json.load(f)))
    known = {"e2ee-accounts.json", "e2ee-conversations.json"}
    for name in sorted(n for n in os.listdir(VECTORS) if n.startswith("e2ee-") and n.endswith(".json") and n not in known):
        report.check(f"vector file {name} has a browser check", False, "add its check to scripts/browser-tests.py")


def features(report, driver, base):
    missing = run(driver, "return await e2ee.missingAlgorithms();")
    report.check("features: SubtleCrypto.supports reports nothing missing", missing == [], missing)
    fallback = run(driver, "const saved = SubtleCrypto.supports; delete SubtleCrypto.supports;"
                           "try { return await e2ee.missingAlgorithms(); } finally { SubtleCrypto.supports = saved; }")
    report.check("features: without SubtleCrypto.supports, the import probes find nothing missing", fallback == [], fallback)
    # A browser without ML-DSA: the page says so, by name, and offers no sign-up.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        const real = SubtleCrypto.supports.bind(SubtleCrypto);
        SubtleCrypto.supports = (op, alg, ...rest) => ((alg && (alg.name || alg)) === 'ML-DSA-65' ? false : real(op, alg, ...rest));"""})
    driver.get(base + "/app/chat.html")
    text = wait_for(driver, "return document.querySelector('#unsupported:not([hidden])')?.textContent || ''")
    report.check("features: the page names a missing algorithm (ML-DSA-65)", "ML-DSA-65" in text, text)


def wait_for(driver, script, seconds=60):
    deadline = time.time() + seconds
    value = None
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    return value


def page(report, base):
    with urllib.request.urlopen(base + "/app/chat.html") as response:
        csp = response.headers.get("Content-Security-Policy", "")
        report.check("page: chat.html is text/html", response.headers.get("Content-Type", "").startswith("text/html"))
        report.check("page: a Content-Security-Policy with scripts from this origin only, no inline script",
                     "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp, csp)
        body = response.read().decode()
        report.check("page: no inline script or event handler in chat.html", "<script>" not in body and not re.search(r"\son[a-z]+\s*=", body))
    with urllib.request.urlopen(base + "/app/e2ee.js") as response:
        report.check("page: e2ee.js is text/javascript", response.headers.get("Content-Type", "").startswith("text/javascript"))
    try:
        urllib.request.urlopen(base + "/app/..%2FPackage.swift")
        report.check("page: an unknown file is 404", False, "served")
    except urllib.error.HTTPError as error:
        report.check("page: an unknown file is 404", error.code == 404, error.code)


def has_e2ee_routes(base):
    request = urllib.request.Request(base + "/v1/e2ee/sessions/challenge", data=b'{"name":"nobody"}',
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        urllib.request.urlopen(request)
        return True
    except urllib.error.HTTPError as error:
        return error.code != 404


# The flows drive the demo page as a user would, through its form fields (ids in chat.html).
def ui(driver, script, *args):
    return driver.execute_script(script, *args)


def fill(driver, fields):
    for field, value in fields.items():
        element = driver.find_element("id", field)
        element.clear()
        element.send_keys(value)


def swift_step_run(report, page, base, command, work, described):
    """The Swift side, plugged in: it reads what the browser wrote, then writes for the browser to read."""
    from selenium.webdriver.common.by import By
    step_dir = os.path.join(work, "swift-step")
    os.makedirs(step_dir, exist_ok=True)
    with open(os.path.join(step_dir, "browser.json"), "w") as f:
        json.dump(described, f)
    result = subprocess.run(command, shell=True, env={**os.environ, "ARBOR_NODE": base, "ARBOR_STEP_DIR": step_dir})
    report.check("swift step: the Swift side read what the browser wrote, the streamed reply included (exit 0)", result.returncode == 0,
                 result.returncode)
    swift_side = os.path.join(step_dir, "swift.json")
    if not os.path.exists(swift_side):
        report.skip("swift step: the browser reads the Swift side", "the step left no swift.json")
        return
    with open(swift_side) as f:
        wrote = json.load(f)
    page.find_element(By.ID, "refresh-button").click()
    script = ("return [...document.querySelectorAll('#messages .message.verified')].map((e) => e.textContent).join('\\n')"
              ".includes(arguments[0])")
    for text in [wrote.get("text")] + ([wrote["streamed"]] if wrote.get("streamed") else []):
        deadline = time.time() + 60
        got = False
        while time.time() < deadline and not got:
            got = page.execute_script(script, text)
            time.sleep(0.2)
        report.check(f"swift step: the browser reads and verifies what the Swift side wrote ({text[:30]!r})", got is True, got)


def flows(report, work, base, swift_step):
    from selenium.webdriver.common.by import By
    alice, bob = f"alice-{os.getpid()}", f"bob-{os.getpid()}"
    password = "correct horse battery staple, twice"
    first = browser(work, "alice")
    second = browser(work, "bob")
    try:
        first.get(base + "/app/chat.html")
        warning = wait_for(first, "return document.querySelector('#signup-warning')?.textContent || ''")
        report.check("flows: the sign-up form says plainly that losing both password and code loses the data",
                     "password and the recovery code" in warning and "lost" in warning, warning)
        for driver, name in ((first, alice), (second, bob)):
            driver.get(base + "/app/chat.html")
            fill(driver, {"signup-name": name, "signup-password": password})
            driver.find_element(By.ID, "signup-understood").click()
            started = time.time()
            driver.find_element(By.ID, "signup-button").click()
            words = wait_for(driver, "return [...document.querySelectorAll('#recovery-words:not([hidden]) li')].map((e) => e.textContent).join(' ')", 120)
            print(f"  measured: sign-up through the page and the node, click to recovery code: {1000 * (time.time() - started):.0f} ms")
            report.check(f"flows: sign-up of {name} shows the recovery code once, 18 words in six groups",
                         len(words.split()) == 18 and len(driver.find_elements(By.CSS_SELECTOR, "#recovery-words li")) == 6, words)
            driver.find_element(By.ID, "recovery-done").click()
        # A second device: a fresh browser profile signs in with the password alone.
        third = browser(work, "alice-2")
        try:
            third.get(base + "/app/chat.html")
            fill(third, {"signin-name": alice, "signin-password": password})
            started = time.time()
            third.find_element(By.ID, "signin-button").click()
            who = wait_for(third, "return document.querySelector('#whoami')?.textContent || ''", 120)
            print(f"  measured: sign-in through the page and the node, click to signed in: {1000 * (time.time() - started):.0f} ms")
            report.check("flows: a second device signs in with the password alone", alice in (who or ""), who)
            third.find_element(By.ID, "signout-button").click()
            gone = wait_for(third, "return window.arborSession === null && !document.querySelector('#signin').hidden")
            report.check("flows: sign-out clears the session's keys", gone is True, gone)
        finally:
            third.quit()
        # Alice starts a conversation with Bob; messages both ways; Bob's assistant streams a reply.
        fill(first, {"peer-name": bob})
        first.find_element(By.ID, "start-button").click()
        safety = wait_for(first, "return document.querySelector('#peer-safety')?.textContent || ''")
        report.check("flows: the peer's safety number is shown", len(safety.split()) >= 12, safety)
        fill(first, {"message-text": "hello bob"})
        first.find_element(By.ID, "send-button").click()
        second.find_element(By.ID, "refresh-button").click()
        got = wait_for(second, "return [...document.querySelectorAll('#messages .message.verified')].map(e => e.textContent).join('\\n')")
        report.check("flows: Bob reads Alice's message (signature and ciphertext checked)", "hello bob" in (got or ""), got)
        fill(second, {"message-text": "hello alice"})
        second.find_element(By.ID, "send-button").click()
        got = wait_for(first, "return [...document.querySelectorAll('#messages .message.verified')].map(e => e.textContent).join('\\n').includes('hello alice')")
        report.check("flows: Alice reads Bob's reply", got is True, got)
        second.find_element(By.ID, "assistant-button").click()
        streamed = wait_for(first, "const e = document.querySelector('#messages .stream.sealed');"
                            "return e ? [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('') : ''", 120)
        report.check("flows: Alice sees Bob's streamed reply, chunk by chunk, then sealed", "assistant" in (streamed or "").lower(), streamed)
        resumed = run(first, RESUME, alice, password)
        report.check("flows: a reader cut off after two chunks resumes after the last chunk it verified (?from=2), then the seal verifies",
                     isinstance(resumed, dict) and resumed.get("sealed") is True and resumed.get("froms") == ["0", "2"]
                     and "assistant" in resumed.get("text", ""), resumed)
        if swift_step:
            swift_step_run(report, first, base, swift_step, work, {
                "node": base, "conversation": first.execute_script("return document.querySelector('#messages').dataset.conversation"),
                "writer": {"name": alice, "password": password}, "reader": {"name": bob, "password": password},
                "texts": ["hello bob", "hello alice"], "streamed": streamed})
        else:
            report.skip("swift step", "no --swift-step (ARBOR_SWIFT_STEP) given: the Swift SDK's side is not plugged in yet")
        removal = run(first, REMOVE, alice, bob, password)
        report.check("flows: Alice removes Bob: epoch 1 for Alice alone; Bob cannot read what she writes after (no matching key)",
                     removal == {"epoch": 1, "members": 1, "bobEpoch": 0, "lastError": "no matching key", "lastText": None}, removal)
        moved = wait_for(first, "return document.querySelector('#epoch').textContent === '1'"
                                " && [...document.querySelectorAll('#messages .message.verified')].some((e) => e.textContent.includes('after the removal'))")
        report.check("flows: Alice's page moves to epoch 1 on reading a message of it, and reads it", moved is True, moved)
        chunks = first.execute_script("return window.arborStats?.chunksShown || 0")
        report.check("flows: the reply arrived in several chunks, each shown as it verified", chunks > 3, chunks)
        shot = os.path.join(work, "demo.png")
        first.save_screenshot(shot)
        size = os.path.getsize(shot)
        blank = first.execute_script("return document.body.innerText.trim().length") < 50
        report.check(f"flows: screenshot of the demo page ({shot}, {size} bytes) is not blank", size > 20000 and not blank, size)
    finally:
        first.quit()
        second.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arbor", default=os.path.join(ROOT, ".build", "debug", "arbor"))
    parser.add_argument("--swift-step", default=os.environ.get("ARBOR_SWIFT_STEP"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (screenshot, node log)")
    parser.add_argument("--postgres", action="store_true",
                        help="the node keeps its E2EE data in a throwaway PostgreSQL (arbor serve --e2ee-database) instead of SQLite")
    options = parser.parse_args()
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise SystemExit("browser-tests: selenium is missing (python3 -m pip install selenium)")
    for tool in ("chromium", "chromedriver"):
        if not shutil.which(tool):
            raise SystemExit(f"browser-tests: {tool} is missing (apt-get install -y chromium chromium-driver)")
    work = tempfile.mkdtemp(prefix="arbor-browser.")
    report = Report()
    postgres = None
    if options.postgres:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from throwaway_postgres import ThrowawayPostgres
        postgres = ThrowawayPostgres()
    node, base = start_node(os.path.abspath(options.arbor), work, postgres.url if postgres else None)
    driver = None
    try:
        print(f"browser-tests: node at {base} ({'PostgreSQL' if postgres else 'SQLite'}), files in {work}")
        page(report, base)
        driver = browser(work, "vectors")
        driver.get(base + "/app/chat.html")
        account_vectors(report, driver)
        report.checks("formats", run(driver, FORMATS))
        print("measurements (headless Chromium, this machine):")
        for name, value in run(driver, MEASURE).items():
            print(f"  {name}: {value:.3g}" if isinstance(value, float) else f"  {name}: {value}")
        features(report, driver, base)
        driver.quit()
        driver = None
        if has_e2ee_routes(base):
            flows(report, work, base, options.swift_step)
        elif os.environ.get("ARBOR_REQUIRE_E2EE_ROUTES") == "1":
            report.check("flows: the node has the /v1/e2ee routes", False, "POST /v1/e2ee/sessions/challenge is 404")
        else:
            report.skip("flows (sign-up, sign-in, conversation, stream, screenshot)", "this node has no /v1/e2ee routes yet (docs/e2ee.md §16)")
        if postgres:
            # What a stolen copy of the database holds: the flows' ciphertext, none of their plaintext.
            dumped = postgres.dump()
            report.check("postgres: the node kept the flows' accounts and messages there (names in the dump)",
                         f"alice-{os.getpid()}".encode() in dumped and b"e2ee_messages" in dumped, len(dumped))
            for text in (b"hello bob", b"hello alice", b"correct horse battery staple", b"I am the assistant"):
                report.check(f"postgres: pg_dump after the flows holds no {text.decode()!r}", text not in dumped and
                             text.hex().encode() not in dumped, len(dumped))
    finally:
        if driver:
            driver.quit()
        node.terminate()
        try:
            node.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.kill()
        if postgres:
            postgres.stop()
        if not options.keep and report.failed == 0:
            shutil.rmtree(work, ignore_errors=True)
    print(f"browser-tests: {report.passed} passed, {report.failed} failed, {report.skipped} skipped")
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
