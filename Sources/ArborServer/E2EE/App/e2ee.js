// Arbor's end-to-end encryption formats (docs/e2ee.md §3–§14) in the browser, with WebCrypto only:
// no cryptographic primitive is written here. Keys are non-extractable CryptoKeys wherever the API
// allows; docs/e2ee.md §18 lists where it does not (seeds read once to import a key, then wiped).

import { SLIP39 } from "./wordlist.js";

const subtle = globalThis.crypto?.subtle;
const encoder = new TextEncoder();

export const XWING = "MLKEM768-X25519";
export const MLDSA = "ML-DSA-65";
export const ED25519 = "Ed25519";
export const HYBRID_SIGNATURE_SIZE = 64 + 3309;
export const MIN_ROUNDS = 600000;

/** An error with one of the codes of docs/e2ee.md (`authentication failed`, `malformed input`, …). */
export class E2EEError extends Error {
    constructor(code, message) {
        super(`${code}: ${message}`);
        this.code = code;
    }
}

// ---------------------------------------------------------------------------------------------
// Bytes

export function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

export function toHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
    if (typeof text !== "string" || !/^([0-9a-f]{2})*$/i.test(text)) throw new E2EEError("malformed input", "not hex");
    return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function toBase64url(bytes) {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64url(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) throw new E2EEError("malformed input", "not base64url");
    const s = atob(text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export function randomBytes(count) {
    return crypto.getRandomValues(new Uint8Array(count));
}

function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
}

/** A domain label: its ASCII bytes, then 0x00. */
function label(text) {
    return concat(encoder.encode(text), new Uint8Array([0]));
}

function uint32(value) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value);
    return out;
}

function uint64(value) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value));
    return out;
}

function readUint32(bytes, at) {
    return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at);
}

function readUint64(bytes, at) {
    return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(at));
}

function checkSize(bytes, size, what) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== size) throw new E2EEError("malformed input", `${what} is ${size} bytes`);
}

// ---------------------------------------------------------------------------------------------
// Feature detection

/** What the client needs from WebCrypto, as `SubtleCrypto.supports` arguments. */
const REQUIRED = [
    ["PBKDF2-HMAC-SHA256", "deriveBits", { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(16), iterations: 1 }, 256],
    ["HKDF-SHA256", "deriveBits", { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new Uint8Array(0) }, 256],
    ["AES-256-GCM", "encrypt", { name: "AES-GCM", iv: new Uint8Array(12) }],
    ["SHA-512", "digest", "SHA-512"],
    ["Ed25519", "sign", ED25519],
    ["X-Wing (MLKEM768-X25519)", "decapsulateKey", XWING, "HKDF"],
    ["X-Wing (MLKEM768-X25519)", "encapsulateKey", XWING, "HKDF"],
    ["ML-DSA-65", "sign", { name: MLDSA }],
    ["ML-DSA-65 public keys from private ones", "getPublicKey", MLDSA],
];

/** Import probes for a browser without `SubtleCrypto.supports`: each throws if unsupported. */
const PROBES = {
    "PBKDF2-HMAC-SHA256": () => subtle.importKey("raw", new Uint8Array(1), "PBKDF2", false, ["deriveBits"]),
    "HKDF-SHA256": () => subtle.importKey("raw", new Uint8Array(32), "HKDF", false, ["deriveBits"]),
    "AES-256-GCM": () => subtle.importKey("raw", new Uint8Array(32), "AES-GCM", false, ["encrypt"]),
    "SHA-512": () => subtle.digest("SHA-512", new Uint8Array(0)),
    Ed25519: () => subtle.importKey("pkcs8", ed25519PKCS8(new Uint8Array(32)), ED25519, false, ["sign"]),
    "X-Wing (MLKEM768-X25519)": () => subtle.importKey("raw-seed", new Uint8Array(32), XWING, false, ["decapsulateKey"]),
    "ML-DSA-65": () => subtle.importKey("raw-seed", new Uint8Array(32), MLDSA, false, ["sign"]),
    "ML-DSA-65 public keys from private ones": async () => {
        if (typeof subtle.getPublicKey !== "function") throw new Error("no getPublicKey");
    },
};

/**
 * The algorithms this browser lacks, by name (empty when everything is there). Uses the static
 * `SubtleCrypto.supports` where the browser has it, else tries an import of each.
 */
export async function missingAlgorithms() {
    if (!globalThis.isSecureContext || !subtle) return ["WebCrypto (the page must be served over HTTPS or from localhost)"];
    const missing = new Set();
    if (typeof globalThis.SubtleCrypto?.supports === "function") {
        for (const [name, ...query] of REQUIRED) {
            let ok = false;
            try {
                ok = SubtleCrypto.supports(...query);
            } catch {
                ok = false;
            }
            if (!ok) missing.add(name);
        }
    } else {
        for (const [name, probe] of Object.entries(PROBES)) {
            try {
                await probe();
            } catch {
                missing.add(name);
            }
        }
    }
    return [...missing];
}

// ---------------------------------------------------------------------------------------------
// Primitives, as WebCrypto calls

const EMPTY = new Uint8Array(0);

async function hkdfInput(ikm) {
    return subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits", "deriveKey"]);
}

/** `HKDF(ikm, info)` of §2 as bytes: ikm is bytes or an HKDF CryptoKey. */
export async function hkdfBits(ikm, info) {
    const key = ikm instanceof CryptoKey ? ikm : await hkdfInput(ikm);
    return new Uint8Array(await subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: EMPTY, info }, key, 256));
}

/** `HKDF(ikm, info)` as a non-extractable AES-256-GCM key. */
async function hkdfAesKey(ikm, info, usages = ["encrypt", "decrypt"]) {
    const key = ikm instanceof CryptoKey ? ikm : await hkdfInput(ikm);
    return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: EMPTY, info }, key, { name: "AES-GCM", length: 256 }, false, usages);
}

/** PBKDF2-HMAC-SHA256 to 32 bytes. WebCrypto cannot hand PBKDF2's output to HKDF as a key, so `P` is bytes. */
export async function pbkdf2(password, salt, rounds) {
    const key = await subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
    return new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: rounds }, key, 256));
}

export async function sha256(bytes) {
    return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

async function aesKey(bytes, usages = ["encrypt", "decrypt"]) {
    return subtle.importKey("raw", bytes, "AES-GCM", false, usages);
}

async function seal(key, nonce, plaintext, aad) {
    return new Uint8Array(await subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, key, plaintext));
}

async function open(key, nonce, ciphertext, aad) {
    try {
        return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, key, ciphertext));
    } catch {
        throw new E2EEError("authentication failed", "the ciphertext does not open under this key");
    }
}

/** Ed25519 private key from its RFC 8032 seed, as PKCS #8 (WebCrypto has no raw-seed import for Ed25519). */
function ed25519PKCS8(seed) {
    return concat(fromHex("302e020100300506032b657004220420"), seed);
}

async function ed25519Private(seed) {
    return subtle.importKey("pkcs8", ed25519PKCS8(seed), ED25519, false, ["sign"]);
}

async function rawPublic(privateKey, usages) {
    const key = await subtle.getPublicKey(privateKey, usages);
    const format = privateKey.algorithm.name === ED25519 ? "raw" : "raw-public";
    return { key, bytes: new Uint8Array(await subtle.exportKey(format, key)) };
}

// ---------------------------------------------------------------------------------------------
// §3 Password keys, §4 wrapped keys

export function passwordKekInfo(account) {
    return concat(label("arbor/v1/e2ee/password-kek"), account);
}

export function loginKeyInfo(account) {
    return concat(label("arbor/v1/e2ee/login-key"), account);
}

/**
 * The password's keys (§3): `kek` (non-extractable AES-GCM, wraps and unwraps the master key),
 * `login` (non-extractable Ed25519) and its public key. `P` and the login seed are bytes for an
 * instant, then wiped.
 */
export async function passwordKeys(password, salt, rounds, account) {
    if (!Number.isInteger(rounds) || rounds < MIN_ROUNDS || rounds > 100000000) {
        throw new E2EEError("invalid argument", `rounds must be ${MIN_ROUNDS} … 100,000,000`);
    }
    checkSize(salt, 16, "a salt");
    const stretched = await pbkdf2(password, salt, rounds);
    const input = await hkdfInput(stretched);
    stretched.fill(0);
    const kek = await hkdfAesKey(input, passwordKekInfo(account), ["encrypt", "decrypt", "unwrapKey"]);
    const loginSeed = await hkdfBits(input, loginKeyInfo(account));
    const login = await ed25519Private(loginSeed);
    loginSeed.fill(0);
    const loginPublicKey = (await rawPublic(login, ["verify"])).bytes;
    return { kek, login, loginPublicKey };
}

function wrapAAD(purpose, account) {
    return concat(label("arbor/v1/e2ee/wrap"), encoder.encode(purpose), new Uint8Array([0]), account);
}

/** A wrapped key (§4): `0x01 ‖ nonce ‖ AES-256-GCM(key, nonce, secret, aad)`. */
export async function wrapKey(key, secret, purpose, account, nonce = randomBytes(12)) {
    checkSize(nonce, 12, "a nonce");
    return concat(new Uint8Array([1]), nonce, await seal(key, nonce, secret, wrapAAD(purpose, account)));
}

function parseWrapped(wrapped) {
    if (!(wrapped instanceof Uint8Array) || wrapped.length < 30 || wrapped[0] !== 1) {
        throw new E2EEError("malformed input", "a wrapped key is version 1 and at least 30 bytes");
    }
    return { nonce: wrapped.subarray(1, 13), sealed: wrapped.subarray(13) };
}

/** Opens a wrapped key to its bytes (for the identity seeds, which must be read to be imported). */
export async function unwrapBytes(key, wrapped, purpose, account) {
    const { nonce, sealed } = parseWrapped(wrapped);
    return open(key, nonce, sealed, wrapAAD(purpose, account));
}

/** Opens a wrapped master key straight into a non-extractable AES-GCM key: its bytes never reach JavaScript. */
export async function unwrapMasterKey(key, wrapped, purpose, account) {
    const { nonce, sealed } = parseWrapped(wrapped);
    try {
        return await subtle.unwrapKey("raw", sealed, key, { name: "AES-GCM", iv: nonce, additionalData: wrapAAD(purpose, account) },
            "AES-GCM", false, ["encrypt", "decrypt"]);
    } catch {
        throw new E2EEError("authentication failed", "the wrapped master key does not open under this key");
    }
}

// ---------------------------------------------------------------------------------------------
// §5 Identity keys

/**
 * The identity from its 96 bytes of seeds: non-extractable private keys, their public keys as
 * CryptoKeys and bytes. The caller wipes the seeds.
 */
export async function identityFromSeeds(seeds) {
    checkSize(seeds, 96, "identity seeds");
    const receiving = await subtle.importKey("raw-seed", seeds.slice(0, 32), XWING, false, ["decapsulateKey", "decapsulateBits"]);
    const signing = await ed25519Private(seeds.slice(32, 64));
    const pqSigning = await subtle.importKey("raw-seed", seeds.slice(64, 96), MLDSA, false, ["sign"]);
    const r = await rawPublic(receiving, ["encapsulateKey", "encapsulateBits"]);
    const s = await rawPublic(signing, ["verify"]);
    const q = await rawPublic(pqSigning, ["verify"]);
    return {
        receiving, signing, pqSigning,
        public: { receiving: r.key, signing: s.key, pqSigning: q.key },
        publicKeys: { receiving: r.bytes, signing: s.bytes, pqSigning: q.bytes },
    };
}

/** Someone's identity public keys (X-Wing 1216, Ed25519 32, ML-DSA-65 1952 bytes) as CryptoKeys. */
export async function importIdentityPublicKeys({ receiving, signing, pqSigning }) {
    checkSize(receiving, 1216, "an X-Wing public key");
    checkSize(signing, 32, "an Ed25519 public key");
    checkSize(pqSigning, 1952, "an ML-DSA-65 public key");
    return {
        receiving: await subtle.importKey("raw-public", receiving, XWING, true, ["encapsulateKey", "encapsulateBits"]),
        signing: await subtle.importKey("raw", signing, ED25519, true, ["verify"]),
        pqSigning: await subtle.importKey("raw-public", pqSigning, MLDSA, true, ["verify"]),
        bytes: { receiving, signing, pqSigning },
    };
}

function sameIdentity(a, b) {
    return equalBytes(a.receiving, b.receiving) && equalBytes(a.signing, b.signing) && equalBytes(a.pqSigning, b.pqSigning);
}

// ---------------------------------------------------------------------------------------------
// §6 Recovery code

async function recoveryChecksum(entropy) {
    return sha256(concat(label("arbor/v1/e2ee/recovery-check"), entropy));
}

function tenBits(bytes, bit) {
    let value = 0;
    for (let i = 0; i < 10; i++) value = (value << 1) | ((bytes[(bit + i) >> 3] >> (7 - ((bit + i) & 7))) & 1);
    return value;
}

/** The 18 words of a recovery code's 20 bytes of entropy. */
export async function recoveryWords(entropy) {
    checkSize(entropy, 20, "recovery entropy");
    const bits = concat(entropy, (await recoveryChecksum(entropy)).subarray(0, 3));
    return Array.from({ length: 18 }, (_, i) => SLIP39[tenBits(bits, i * 10)]);
}

/** The words in six groups of three, for writing down. */
export function recoveryGroups(words) {
    return Array.from({ length: 6 }, (_, i) => words.slice(i * 3, i * 3 + 3).join(" "));
}

/** Reads a typed-back code: `invalid argument` (naming the place, never the word) before any key is tried. */
export async function parseRecoveryCode(text) {
    const typed = String(text).toLowerCase().split(/[\s-]+/).filter((w) => w.length > 0);
    if (typed.length !== 18) throw new E2EEError("invalid argument", `a recovery code has 18 words; this one has ${typed.length}`);
    const bits = new Uint8Array(23);
    typed.forEach((word, index) => {
        const value = SLIP39.indexOf(word);
        if (value < 0) throw new E2EEError("invalid argument", `word ${index + 1} of the recovery code is not on the word list; check its spelling`);
        for (let i = 0; i < 10; i++) {
            const bit = index * 10 + i;
            if ((value >> (9 - i)) & 1) bits[bit >> 3] |= 0x80 >> (bit & 7);
        }
    });
    const entropy = bits.slice(0, 20);
    const checksum = await recoveryChecksum(entropy);
    const ok = bits[20] === checksum[0] && bits[21] === checksum[1] && (bits[22] & 0xf0) === (checksum[2] & 0xf0);
    bits.fill(0);
    if (!ok) throw new E2EEError("invalid argument", "the recovery code's checksum does not match: a word is mistyped or out of order");
    return entropy;
}

export function recoveryKeyInfo(account) {
    return concat(label("arbor/v1/e2ee/recovery-key"), account);
}

/** The recovery key as a non-extractable AES-GCM key. */
export async function recoveryKey(entropy, account) {
    return hkdfAesKey(entropy, recoveryKeyInfo(account), ["encrypt", "decrypt", "unwrapKey"]);
}

// ---------------------------------------------------------------------------------------------
// §7 Login proof

export function loginMessage(account, challenge) {
    checkSize(challenge, 32, "a login challenge");
    return concat(label("arbor/v1/e2ee/login"), account, challenge);
}

export async function signLogin(login, account, challenge) {
    return new Uint8Array(await subtle.sign(ED25519, login, loginMessage(account, challenge)));
}

// ---------------------------------------------------------------------------------------------
// §8 Flows

/**
 * Sign-up (§8): fresh parameters, master key, identity and recovery code. Returns the record for
 * the node, the session's keys and the recovery words (to show once). `fixed` replaces the
 * random inputs (vector tests only).
 */
export async function signUp(password, { rounds = MIN_ROUNDS, fixed = {} } = {}) {
    const account = fixed.account ?? randomBytes(16);
    const salt = fixed.salt ?? randomBytes(16);
    const masterBytes = fixed.masterKey ?? randomBytes(32);
    const seeds = fixed.identitySeeds ?? randomBytes(96);
    const entropy = fixed.recoveryEntropy ?? randomBytes(20);
    const { kek, login, loginPublicKey } = await passwordKeys(password, salt, rounds, account);
    const recovery = await recoveryKey(entropy, account);
    const masterForWrapping = await aesKey(masterBytes, ["encrypt"]);
    const record = {
        account, rounds, salt, loginPublicKey,
        masterByPassword: await wrapKey(kek, masterBytes, "master/password", account, fixed.masterNonce),
        masterByRecovery: await wrapKey(recovery, masterBytes, "master/recovery", account, fixed.recoveryNonce),
        identity: await wrapKey(masterForWrapping, seeds, "identity", account, fixed.identityNonce),
    };
    const master = await aesKey(masterBytes);
    const identity = await identityFromSeeds(seeds);
    record.identityPublicKeys = identity.publicKeys;
    const words = await recoveryWords(entropy);
    if (!fixed.masterKey) masterBytes.fill(0);
    if (!fixed.identitySeeds) seeds.fill(0);
    if (!fixed.recoveryEntropy) entropy.fill(0);
    return { record, keys: { account, master, identity, login, kek }, recoveryWords: words };
}

/** Opens the identity with the master key and checks it gives the stored public keys (`conflict` otherwise). */
export async function openIdentity(master, record) {
    const seeds = await unwrapBytes(master, record.identity, "identity", record.account);
    const identity = await identityFromSeeds(seeds);
    seeds.fill(0);
    if (!sameIdentity(identity.publicKeys, record.identityPublicKeys)) {
        throw new E2EEError("conflict", "the identity keys do not match the public keys the server holds for this account");
    }
    return identity;
}

/** Sign-in (§8), once the record is at hand: the password's keys open the master key, which opens the identity. */
export async function signIn(password, record) {
    return openAccount(await passwordKeys(password, record.salt, record.rounds, record.account), record);
}

/** The second half of sign-in, with the password's keys already derived (they signed the login challenge). */
export async function openAccount({ kek, login, loginPublicKey }, record) {
    if (!equalBytes(loginPublicKey, record.loginPublicKey)) {
        throw new E2EEError("authentication failed", "the password does not match this account");
    }
    const master = await unwrapMasterKey(kek, record.masterByPassword, "master/password", record.account);
    const identity = await openIdentity(master, record);
    return { account: record.account, master, identity, login, kek, loginPublicKey };
}

/**
 * A new password for the master key in `masterBytes` (password change or recovery, §8): new salt,
 * new login key, the master key wrapped again. The master key, the identity and the data stay.
 */
async function rewrapMaster(masterBytes, password, account, rounds) {
    const salt = randomBytes(16);
    const keys = await passwordKeys(password, salt, rounds, account);
    const masterByPassword = await wrapKey(keys.kek, masterBytes, "master/password", account);
    return { fields: { rounds, salt, loginPublicKey: keys.loginPublicKey, masterByPassword }, keys };
}

/** Password change: the session's KEK opens the stored master key (bytes for an instant) to wrap it anew. */
export async function changePassword(session, record, newPassword, rounds = record.rounds) {
    const masterBytes = await unwrapBytes(session.kek, record.masterByPassword, "master/password", record.account);
    try {
        const { fields, keys } = await rewrapMaster(masterBytes, newPassword, record.account, rounds);
        return { fields, keys: { ...session, kek: keys.kek, login: keys.login, loginPublicKey: keys.loginPublicKey } };
    } finally {
        masterBytes.fill(0);
    }
}

/**
 * Recovery (§8, §16): the code opens the master key, which opens the identity; a new password
 * wraps the master key again. `record` holds `account`, `masterByRecovery`, `identity` and
 * `identityPublicKeys`. Returns the new password fields and the session's keys.
 */
export async function recover(code, record, newPassword, rounds = MIN_ROUNDS) {
    const entropy = await parseRecoveryCode(code);
    const key = await recoveryKey(entropy, record.account);
    entropy.fill(0);
    const masterBytes = await unwrapBytes(key, record.masterByRecovery, "master/recovery", record.account);
    try {
        const master = await aesKey(masterBytes);
        const identity = await openIdentity(master, record);
        const { fields, keys } = await rewrapMaster(masterBytes, newPassword, record.account, rounds);
        return { fields, keys: { account: record.account, master, identity, ...keys } };
    } finally {
        masterBytes.fill(0);
    }
}

/** What a recovering client signs with its identity (§16): binds the new login key to the challenge. */
export function recoveryProofMessage(account, challenge, loginPublicKey) {
    return concat(label("arbor/v1/e2ee/recovery"), account, challenge, loginPublicKey);
}

// ---------------------------------------------------------------------------------------------
// §10 Hybrid signature and safety number

/** `Ed25519 signature (64) ‖ ML-DSA-65 signature (3309)` over `message`, empty ML-DSA context. */
export async function hybridSign(identity, message) {
    const classical = new Uint8Array(await subtle.sign(ED25519, identity.signing, message));
    const pq = new Uint8Array(await subtle.sign({ name: MLDSA }, identity.pqSigning, message));
    return concat(classical, pq);
}

/** Whether both halves verify under `publicKeys` (from `importIdentityPublicKeys` or `identity.public`). */
export async function hybridVerify(publicKeys, message, signature) {
    if (!(signature instanceof Uint8Array) || signature.length !== HYBRID_SIGNATURE_SIZE) return false;
    const classical = await subtle.verify(ED25519, publicKeys.signing, signature.subarray(0, 64), message);
    const pq = await subtle.verify({ name: MLDSA }, publicKeys.pqSigning, signature.subarray(64), message);
    return classical && pq;
}

/** The safety number of an identity (§10; docs/keys.md §18): `{digits, words}`. */
export async function safetyNumber(account, publicKeys) {
    const digest = new Uint8Array(await subtle.digest("SHA-512",
        concat(label("arbor/v1/e2ee/safety-number"), account, publicKeys.receiving, publicKeys.signing, publicKeys.pqSigning)));
    const groups = Array.from({ length: 12 }, (_, i) => {
        let value = 0n;
        for (let j = 0; j < 5; j++) value = (value << 8n) | BigInt(digest[5 * i + j]);
        return (value % 100000n).toString().padStart(5, "0");
    });
    return { digits: groups.join(" "), words: Array.from({ length: 12 }, (_, i) => SLIP39[tenBits(digest, i * 10)]) };
}

// ---------------------------------------------------------------------------------------------
// §11 Conversation

export async function conversationId(creator, nonce) {
    checkSize(nonce, 16, "a conversation nonce");
    return (await sha256(concat(label("arbor/v1/e2ee/conversation"), creator, nonce))).slice(0, 16);
}

/** A new conversation's id, nonce and epoch-0 key (an HKDF CryptoKey; its bytes for the envelopes). */
export async function newConversation(creator) {
    const nonce = randomBytes(16);
    return { id: await conversationId(creator, nonce), nonce, epochKeyBytes: randomBytes(32) };
}

/** Checks a conversation id against its creator and nonce (`conflict` on a mismatch). */
export async function checkConversationId(id, creator, nonce) {
    if (!equalBytes(await conversationId(creator, nonce), id)) {
        throw new E2EEError("conflict", "the conversation id does not commit to this creator and nonce");
    }
}

/** An epoch key's bytes as the non-extractable HKDF key messages are keyed from. */
export async function importEpochKey(bytes) {
    checkSize(bytes, 32, "an epoch key");
    return hkdfInput(bytes);
}

/**
 * Membership of each epoch (§11), from envelopes in any order: `{members: Map<epoch, Set<hex>>,
 * openers: Map<epoch, hex>, invalid: [...]}`. `envelopes` are parsed envelopes with `valid` (their
 * signature verified under the adder's keys). An envelope counts when its adder is the creator
 * (epoch 0), a member of its epoch (adding), or a member of the one before (opening); each epoch
 * has one opener, who must hold a key of it, as the Swift `ConversationMembership`.
 */
export function membership(creatorHex, envelopes) {
    const members = new Map();
    const openers = new Map();
    const invalid = [];
    const isMember = (epoch, hex) => members.get(epoch)?.has(hex) ?? false;
    const epochs = [...new Set(envelopes.map((e) => e.epoch))].sort((a, b) => a - b);
    for (const epoch of epochs) {
        let pending = envelopes.filter((e) => e.epoch === epoch);
        const accepted = [];
        let progressed = true;
        while (progressed) {
            progressed = false;
            const waiting = [];
            for (const e of pending) {
                const adder = toHex(e.adder);
                const recipient = toHex(e.recipient);
                const opens = (epoch === 0 && adder === creatorHex) || (epoch > 0 && isMember(epoch - 1, adder));
                if (!isMember(epoch, adder) && !opens) {
                    waiting.push(e);
                    continue;
                }
                const secondOpener = !isMember(epoch, adder) && openers.has(epoch) && openers.get(epoch) !== adder;
                if (!e.valid || isMember(epoch, recipient) || secondOpener) {
                    invalid.push(e);
                    continue;
                }
                if (!isMember(epoch, adder) && !openers.has(epoch)) openers.set(epoch, adder);
                if (!members.has(epoch)) members.set(epoch, new Set());
                members.get(epoch).add(recipient);
                accepted.push(e);
                progressed = true;
            }
            pending = waiting;
        }
        invalid.push(...pending);
        if (openers.has(epoch) && !isMember(epoch, openers.get(epoch))) {
            invalid.push(...accepted);
            members.delete(epoch);
        }
    }
    return { members, openers, invalid };
}

// ---------------------------------------------------------------------------------------------
// §12 Key envelope

export const ENVELOPE_SIZE = 4594;

function envelopeSigned(header, ciphertext, sealed) {
    return concat(label("arbor/v1/e2ee/envelope"), header, ciphertext, sealed);
}

/**
 * Seals `epochKeyBytes` (32) to `recipientPublic` (CryptoKeys from `importIdentityPublicKeys`), signed
 * by the adder's identity. The X-Wing shared secret goes straight into HKDF as a CryptoKey.
 */
export async function sealEnvelope({ conversation, epoch, recipient, recipientPublic, adder, adderIdentity, epochKeyBytes }) {
    checkSize(conversation, 16, "a conversation id");
    checkSize(recipient, 16, "an account id");
    checkSize(adder, 16, "an account id");
    checkSize(epochKeyBytes, 32, "an epoch key");
    const header = concat(new Uint8Array([1]), conversation, uint32(epoch), recipient, adder);
    const { sharedKey, ciphertext } = await subtle.encapsulateKey({ name: XWING }, recipientPublic.receiving, "HKDF", false, ["deriveKey"]);
    const wrap = await hkdfAesKey(sharedKey, label("arbor/v1/e2ee/envelope-key"), ["encrypt"]);
    const kem = new Uint8Array(ciphertext);
    const sealed = await seal(wrap, new Uint8Array(12), epochKeyBytes, header);
    const signature = await hybridSign(adderIdentity, envelopeSigned(header, kem, sealed));
    return concat(header, kem, sealed, signature);
}

export function parseEnvelope(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== ENVELOPE_SIZE || bytes[0] !== 1) {
        throw new E2EEError("malformed input", `a key envelope is version 1 and ${ENVELOPE_SIZE} bytes`);
    }
    return {
        bytes,
        header: bytes.subarray(0, 53),
        conversation: bytes.slice(1, 17),
        epoch: readUint32(bytes, 17),
        recipient: bytes.slice(21, 37),
        adder: bytes.slice(37, 53),
        ciphertext: bytes.subarray(53, 1173),
        sealed: bytes.subarray(1173, 1221),
        signature: bytes.subarray(1221),
    };
}

export async function verifyEnvelope(envelope, adderPublic) {
    return hybridVerify(adderPublic, envelopeSigned(envelope.header, envelope.ciphertext, envelope.sealed), envelope.signature);
}

async function envelopeWrapKey(envelope, identity) {
    const shared = await subtle.decapsulateKey({ name: XWING }, identity.receiving, envelope.ciphertext, "HKDF", false, ["deriveKey"]);
    return hkdfAesKey(shared, label("arbor/v1/e2ee/envelope-key"), ["decrypt", "unwrapKey"]);
}

async function checkedEnvelope(envelope, identity, adderPublic) {
    if (!(await verifyEnvelope(envelope, adderPublic))) {
        throw new E2EEError("authentication failed", "the key envelope's signature does not verify under its adder's identity");
    }
    return envelopeWrapKey(envelope, identity);
}

/** Opens an envelope addressed to `identity` into the epoch's non-extractable HKDF key. */
export async function openEnvelope(envelope, identity, adderPublic) {
    const wrap = await checkedEnvelope(envelope, identity, adderPublic);
    try {
        return await subtle.unwrapKey("raw", envelope.sealed, wrap, { name: "AES-GCM", iv: new Uint8Array(12), additionalData: envelope.header },
            "HKDF", false, ["deriveKey", "deriveBits"]);
    } catch {
        throw new E2EEError("authentication failed", "the key envelope does not open for this recipient");
    }
}

/** The epoch key's bytes, for sealing it to a participant being added (the caller wipes them). */
export async function openEnvelopeBytes(envelope, identity, adderPublic) {
    const wrap = await checkedEnvelope(envelope, identity, adderPublic);
    return open(wrap, new Uint8Array(12), envelope.sealed, envelope.header);
}

// ---------------------------------------------------------------------------------------------
// §13 Message

export const KIND_TEXT = 1;
export const KIND_STREAM = 2;
export const KIND_IMPORTED = 3;
const MESSAGE_HEADER = 90;

export function messageKeyInfo(conversation, epoch) {
    return concat(label("arbor/v1/e2ee/message-key"), conversation, uint32(epoch));
}

async function messageKey(epochKey, conversation, epoch, usages) {
    return hkdfAesKey(epochKey, messageKeyInfo(conversation, epoch), usages);
}

/**
 * A signed, encrypted message. `epochKey` is the epoch's HKDF CryptoKey; `plaintext` bytes.
 * `messageId` and `nonce` default to random (given only by vector tests).
 */
export async function sealMessage({ kind = KIND_TEXT, conversation, epoch, epochKey, sender, sequence, previous = new Uint8Array(16),
    plaintext, identity, messageId = randomBytes(16), nonce = randomBytes(12) }) {
    const header = concat(new Uint8Array([1, kind]), conversation, uint32(epoch), messageId, sender, uint64(sequence), previous, nonce);
    checkSize(header, MESSAGE_HEADER, "a message header");
    const key = await messageKey(epochKey, conversation, epoch, ["encrypt"]);
    const ciphertext = await seal(key, nonce, plaintext, concat(label("arbor/v1/e2ee/message"), header));
    const signature = await hybridSign(identity, concat(label("arbor/v1/e2ee/message"), header, ciphertext));
    return { bytes: concat(header, ciphertext, signature), id: messageId, header };
}

export function parseMessage(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length < MESSAGE_HEADER + 16 + HYBRID_SIGNATURE_SIZE || bytes[0] !== 1 || bytes[1] < 1 || bytes[1] > 3) {
        throw new E2EEError("malformed input", "not a version-1 message of a known kind");
    }
    const end = bytes.length - HYBRID_SIGNATURE_SIZE;
    return {
        bytes,
        kind: bytes[1],
        header: bytes.subarray(0, MESSAGE_HEADER),
        conversation: bytes.slice(2, 18),
        epoch: readUint32(bytes, 18),
        id: bytes.slice(22, 38),
        sender: bytes.slice(38, 54),
        sequence: readUint64(bytes, 54),
        previous: bytes.slice(62, 78),
        nonce: bytes.slice(78, 90),
        ciphertext: bytes.subarray(MESSAGE_HEADER, end),
        signature: bytes.subarray(end),
    };
}

/**
 * Steps 2–3 of §13: the signature under the sender's keys, then the ciphertext. A text message
 * gives its plaintext bytes; a stream message its stream key, as a non-extractable HKDF key.
 */
export async function openMessage(message, epochKey, senderPublic) {
    const signed = concat(label("arbor/v1/e2ee/message"), message.header, message.ciphertext);
    if (!(await hybridVerify(senderPublic, signed, message.signature))) {
        throw new E2EEError("authentication failed", "the message's signature does not verify under its sender's identity");
    }
    const aad = concat(label("arbor/v1/e2ee/message"), message.header);
    if (message.kind === KIND_STREAM) {
        // A stream message carries a 32-byte key (§14), as the Swift reader requires.
        if (message.ciphertext.length !== 32 + 16) throw new E2EEError("malformed input", "a stream message carries a 32-byte key");
        const key = await messageKey(epochKey, message.conversation, message.epoch, ["unwrapKey"]);
        try {
            return { streamKey: await subtle.unwrapKey("raw", message.ciphertext, key, { name: "AES-GCM", iv: message.nonce, additionalData: aad }, "HKDF", false, ["deriveKey"]) };
        } catch {
            throw new E2EEError("authentication failed", "the stream message does not open under the epoch key");
        }
    }
    const key = await messageKey(epochKey, message.conversation, message.epoch, ["decrypt"]);
    return { plaintext: await open(key, message.nonce, message.ciphertext, aad) };
}

/**
 * Step 4 of §13, per conversation, in the node's delivery order. `accept(message)` throws
 * `replayed` or `reordered`; it returns the gaps it reports rather than refuses: `missing` (the
 * sender's sequence skipped numbers) and `answersMissing` (`previous` names a message not read
 * yet; if that message comes later it is refused as `reordered`).
 */
export class MessageOrder {
    constructor() {
        this.read = new Set();
        this.lastSequence = new Map();
        this.answeredBeforeDelivery = new Set();
    }

    accept(message) {
        const id = toHex(message.id);
        const sender = toHex(message.sender);
        if (this.read.has(id)) throw new E2EEError("replayed", "this message was delivered before");
        const last = this.lastSequence.get(sender) ?? 0;
        if (message.sequence <= last) throw new E2EEError("reordered", "the sender's sequence went backwards");
        if (this.answeredBeforeDelivery.has(id)) throw new E2EEError("reordered", "this message was delivered after a message that answers it");
        const previous = toHex(message.previous);
        const answersMissing = previous !== "0".repeat(32) && !this.read.has(previous);
        if (answersMissing) this.answeredBeforeDelivery.add(previous);
        this.read.add(id);
        this.lastSequence.set(sender, message.sequence);
        return { missing: message.sequence - last - 1, answersMissing };
    }
}

// ---------------------------------------------------------------------------------------------
// §14 Token stream

export const MAX_PIECE = 65536;

function chunkContext(conversation, epoch, messageId) {
    return concat(conversation, uint32(epoch), messageId);
}

/** The chunk key from the stream key (bytes when writing, the HKDF CryptoKey from `openMessage` when reading). */
export function chunkKeyInfo(conversation, epoch, messageId) {
    return concat(label("arbor/v1/e2ee/stream-key"), chunkContext(conversation, epoch, messageId));
}

export async function chunkKey(streamKey, conversation, epoch, messageId) {
    return hkdfAesKey(streamKey, chunkKeyInfo(conversation, epoch, messageId));
}

function chunkNonce(index, final) {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(3, BigInt(index));
    nonce[11] = final ? 1 : 0;
    return nonce;
}

export async function sealChunk(key, context, index, final, piece) {
    if (piece.length > MAX_PIECE) throw new E2EEError("invalid argument", `a piece is at most ${MAX_PIECE} bytes`);
    return seal(key, chunkNonce(index, final), piece, concat(label("arbor/v1/e2ee/chunk"), context));
}

export async function openChunk(key, context, index, final, chunk) {
    if (chunk.length < 16 || chunk.length > MAX_PIECE + 16) throw new E2EEError("malformed input", "a chunk is 16 … 65,552 bytes");
    return open(key, chunkNonce(index, final), chunk, concat(label("arbor/v1/e2ee/chunk"), context));
}

async function streamEndMessage(header, chunks) {
    const framed = concat(...chunks.flatMap((c) => [uint32(c.length), c]));
    return concat(label("arbor/v1/e2ee/stream-end"), header, uint64(chunks.length), await sha256(framed));
}

/** Writes a stream after its kind-2 message: `next(piece, final)` gives each chunk, `seal()` the sender's seal. */
export class StreamWriter {
    static async start(message, streamKeyBytes, identity) {
        const m = parseMessage(message.bytes);
        const context = chunkContext(m.conversation, m.epoch, m.id);
        return new StreamWriter(m.header, context, await chunkKey(streamKeyBytes, m.conversation, m.epoch, m.id), identity);
    }

    constructor(header, context, key, identity) {
        Object.assign(this, { header, context, key, identity, chunks: [], finished: false });
    }

    async next(piece, final = false) {
        if (this.finished) throw new E2EEError("invalid argument", "the stream has ended");
        const chunk = await sealChunk(this.key, this.context, this.chunks.length, final, piece);
        this.chunks.push(chunk);
        this.finished = final;
        return chunk;
    }

    async seal() {
        if (!this.finished) throw new E2EEError("invalid argument", "a stream is sealed after its final chunk");
        return hybridSign(this.identity, await streamEndMessage(this.header, this.chunks));
    }
}

/** Reads a stream in order: `next(chunk, final)` opens chunk i as the i-th; `finish(seal, senderPublic)` verifies the whole. */
export class StreamReader {
    static async start(message, streamKey) {
        const context = chunkContext(message.conversation, message.epoch, message.id);
        return new StreamReader(message.header, context, await chunkKey(streamKey, message.conversation, message.epoch, message.id));
    }

    constructor(header, context, key) {
        Object.assign(this, { header, context, key, chunks: [], finished: false });
    }

    get count() {
        return this.chunks.length;
    }

    async next(chunk, final) {
        if (this.finished) throw new E2EEError("authentication failed", "a chunk after the final one");
        const piece = await openChunk(this.key, this.context, this.chunks.length, final, chunk);
        this.chunks.push(chunk);
        this.finished = final;
        return piece;
    }

    async finish(seal, senderPublic) {
        if (!this.finished) throw new E2EEError("truncated", "the stream ended without its final chunk");
        if (!(await hybridVerify(senderPublic, await streamEndMessage(this.header, this.chunks), seal))) {
            throw new E2EEError("authentication failed", "the stream's seal does not verify under its sender's identity");
        }
        return true;
    }
}
