// The node's end-to-end encryption interface (docs/e2ee.md §16) from the browser: fetch for the
// JSON routes, a streamed fetch for the Server-Sent Events of a token stream (EventSource cannot
// send the Authorization header). Every check of §11–§14 is made here, since the node is not trusted.

import * as e2ee from "./e2ee.js";

const { toHex, fromHex, toBase64url: b64, fromBase64url: unb64, E2EEError } = e2ee;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function recordToJSON(name, r) {
    return {
        name, account: toHex(r.account), rounds: r.rounds, salt: b64(r.salt), login_public_key: b64(r.loginPublicKey),
        master_by_password: b64(r.masterByPassword), master_by_recovery: b64(r.masterByRecovery), identity: b64(r.identity),
        identity_public_keys: publicKeysToJSON(r.identityPublicKeys),
    };
}

function publicKeysToJSON(k) {
    return { receiving: b64(k.receiving), signing: b64(k.signing), pq_signing: b64(k.pqSigning) };
}

function passwordFieldsToJSON(f) {
    return { rounds: f.rounds, salt: b64(f.salt), login_public_key: b64(f.loginPublicKey), master_by_password: b64(f.masterByPassword) };
}

function publicKeysFromJSON(k) {
    return { receiving: unb64(k.receiving), signing: unb64(k.signing), pqSigning: unb64(k.pq_signing) };
}

function recordFromJSON(j) {
    return {
        account: fromHex(j.account), rounds: j.rounds, salt: unb64(j.salt), loginPublicKey: unb64(j.login_public_key),
        masterByPassword: unb64(j.master_by_password), masterByRecovery: unb64(j.master_by_recovery), identity: unb64(j.identity),
        identityPublicKeys: publicKeysFromJSON(j.identity_public_keys),
    };
}

/** One signed-in account on one node. `keys` are CryptoKeys; `signOut()` drops them. */
export class ArborClient {
    constructor(base = "") {
        this.base = base;
        this.session = null;
        this.keys = null;
        this.name = null;
        this.profiles = new Map();
        this.conversations = new Map();
    }

    async request(method, path, body, { signedIn = true } = {}) {
        const headers = { Accept: "application/json" };
        if (body !== undefined) headers["Content-Type"] = "application/json";
        if (signedIn && this.session) headers.Authorization = `Bearer ${this.session}`;
        const response = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await response.text();
        const json = text ? JSON.parse(text) : {};
        if (!response.ok) {
            const error = json.error ?? {};
            throw new E2EEError(error.code ?? `HTTP ${response.status}`, error.message ?? response.statusText);
        }
        return json;
    }

    // --- Accounts (§8)

    /** Sign-up: the keys are made here; the node gets the record. Returns the recovery words to show once. */
    async signUp(name, password, { rounds = e2ee.MIN_ROUNDS, device = "browser" } = {}) {
        const made = await e2ee.signUp(password, { rounds });
        await this.request("POST", "/v1/e2ee/accounts", recordToJSON(name, made.record), { signedIn: false });
        await this.openSession(name, made.keys.account, made.keys.login, device);
        this.keys = made.keys;
        this.name = name;
        return made.recoveryWords;
    }

    /** Sign-in on any device with the password alone. */
    async signIn(name, password, { device = "browser" } = {}) {
        const challenge = await this.request("POST", "/v1/e2ee/sessions/challenge", { name }, { signedIn: false });
        const account = fromHex(challenge.account);
        const passwordKeys = await e2ee.passwordKeys(password, unb64(challenge.salt), challenge.rounds, account);
        await this.signChallenge(challenge, account, passwordKeys.login, device);
        const record = recordFromJSON(await this.request("GET", "/v1/e2ee/account"));
        if (toHex(record.account) !== toHex(account)) throw new E2EEError("conflict", "the node returned another account's record");
        this.keys = await e2ee.openAccount(passwordKeys, record);
        this.name = name;
    }

    async openSession(name, account, login, device) {
        const challenge = await this.request("POST", "/v1/e2ee/sessions/challenge", { name }, { signedIn: false });
        if (challenge.account !== toHex(account)) throw new E2EEError("conflict", "the node names another account");
        await this.signChallenge(challenge, account, login, device);
    }

    async signChallenge(challenge, account, login, device) {
        const signature = await e2ee.signLogin(login, account, unb64(challenge.challenge));
        const session = await this.request("POST", "/v1/e2ee/sessions",
            { account: toHex(account), challenge: challenge.challenge, signature: b64(signature), device }, { signedIn: false });
        this.session = session.session;
    }

    /** Changes the password: the master key is wrapped again, nothing else changes. */
    async changePassword(newPassword) {
        const record = recordFromJSON(await this.request("GET", "/v1/e2ee/account"));
        const { fields, keys } = await e2ee.changePassword(this.keys, record, newPassword);
        await this.request("PUT", "/v1/e2ee/account/password", passwordFieldsToJSON(fields));
        this.keys = keys;
    }

    /** Recovery with the 18 words: sets a new password and signs in. */
    async recover(name, code, newPassword, { device = "browser" } = {}) {
        const json = await this.request("POST", "/v1/e2ee/recovery/challenge", { name }, { signedIn: false });
        const account = fromHex(json.account);
        const record = { account, masterByRecovery: unb64(json.master_by_recovery), identity: unb64(json.identity),
            identityPublicKeys: publicKeysFromJSON(json.identity_public_keys) };
        const { fields, keys } = await e2ee.recover(code, record, newPassword);
        const challenge = unb64(json.challenge);
        const signature = await e2ee.hybridSign(keys.identity, e2ee.recoveryProofMessage(account, challenge, fields.loginPublicKey));
        const session = await this.request("POST", "/v1/e2ee/recovery", { account: json.account, challenge: json.challenge,
            signature: b64(signature), device, ...passwordFieldsToJSON(fields) }, { signedIn: false });
        this.session = session.session;
        this.keys = keys;
        this.name = name;
    }

    /** Signs out at the node and drops every key (CryptoKeys have no destroy: their last reference goes). */
    async signOut() {
        try {
            if (this.session) await this.request("DELETE", "/v1/e2ee/sessions/current");
        } finally {
            this.session = null;
            this.keys = null;
            this.name = null;
            this.profiles.clear();
            this.conversations.clear();
        }
    }

    get account() {
        return this.keys && toHex(this.keys.account);
    }

    /** Someone's identity: `{account, name, keys (CryptoKeys), safety}`; by name or by account id (hex). */
    async profile({ name, account }) {
        if (account && this.profiles.has(account)) return this.profiles.get(account);
        const path = account ? `/v1/e2ee/accounts/${account}` : `/v1/e2ee/accounts?name=${encodeURIComponent(name)}`;
        const json = await this.request("GET", path);
        if (account && json.account !== account) throw new E2EEError("conflict", "the node returned another account");
        const id = fromHex(json.account);
        const keys = await e2ee.importIdentityPublicKeys(publicKeysFromJSON(json.identity_public_keys));
        const profile = { account: json.account, name: json.name, keys, safety: await e2ee.safetyNumber(id, keys.bytes) };
        this.profiles.set(json.account, profile);
        return profile;
    }

    async myPublic() {
        return { receiving: this.keys.identity.public.receiving, signing: this.keys.identity.public.signing,
            pqSigning: this.keys.identity.public.pqSigning };
    }

    // --- Conversations (§11, §12)

    /** A new conversation with the given people (by name), epoch 0, an envelope for each and for me. */
    async startConversation(names) {
        const me = this.keys.account;
        const fresh = await e2ee.newConversation(me);
        const recipients = [{ id: me, keys: await this.myPublic() }];
        for (const name of names) {
            const p = await this.profile({ name });
            recipients.push({ id: fromHex(p.account), keys: p.keys });
        }
        const envelopes = [];
        for (const r of recipients) {
            envelopes.push(b64(await e2ee.sealEnvelope({ conversation: fresh.id, epoch: 0, recipient: r.id, recipientPublic: r.keys,
                adder: me, adderIdentity: this.keys.identity, epochKeyBytes: fresh.epochKeyBytes })));
        }
        fresh.epochKeyBytes.fill(0);
        await this.request("POST", "/v1/e2ee/conversations", { conversation: toHex(fresh.id), nonce: b64(fresh.nonce), envelopes });
        return this.conversation(toHex(fresh.id));
    }

    async conversationIds() {
        return (await this.request("GET", "/v1/e2ee/conversations")).conversations;
    }

    /**
     * Loads a conversation: checks its id, every envelope's signature and membership (§11), and
     * opens my envelope of each epoch I hold. Envelopes that are not valid are reported, not used.
     */
    async conversation(id) {
        const json = await this.request("GET", `/v1/e2ee/conversations/${id}`);
        const conversation = fromHex(json.conversation);
        if (json.conversation !== id) throw new E2EEError("conflict", "the node returned another conversation");
        await e2ee.checkConversationId(conversation, fromHex(json.creator), unb64(json.nonce));
        const parsed = [];
        for (const bytes of json.envelopes) {
            const envelope = e2ee.parseEnvelope(unb64(bytes));
            const adder = await this.profile({ account: toHex(envelope.adder) });
            envelope.valid = toHex(envelope.conversation) === id && (await e2ee.verifyEnvelope(envelope, adder.keys));
            envelope.adderKeys = adder.keys;
            parsed.push(envelope);
        }
        const { members, openers, invalid } = e2ee.membership(json.creator, parsed);
        const epochKeys = new Map();
        for (const envelope of parsed) {
            if (invalid.includes(envelope) || toHex(envelope.recipient) !== this.account || epochKeys.has(envelope.epoch)) continue;
            epochKeys.set(envelope.epoch, await e2ee.openEnvelope(envelope, this.keys.identity, envelope.adderKeys));
        }
        if (epochKeys.size === 0) throw new E2EEError("no matching key", "no valid key envelope of this conversation is addressed to me");
        const keys = { members, openers, invalid: invalid.length, epochKeys, epoch: Math.max(...epochKeys.keys()) };
        // A conversation loaded again (a new epoch) keeps its reading position and order checks.
        const previous = this.conversations.get(id);
        if (previous) return Object.assign(previous, keys);
        const state = { id, conversation, creator: json.creator, ...keys, after: 0, order: new e2ee.MessageOrder(), sequence: 0,
            lastRead: new Uint8Array(16) };
        this.conversations.set(id, state);
        return state;
    }

    /**
     * Adds someone to the newest epoch (§11): my envelope of that epoch is opened to its key's
     * bytes for an instant and the key sealed to them. They read that epoch, earlier messages of
     * it included, and nothing of earlier epochs.
     */
    async addParticipant(state, name) {
        const p = await this.profile({ name });
        const mine = await this.myEnvelope(state, state.epoch);
        const epochKeyBytes = await e2ee.openEnvelopeBytes(mine.envelope, this.keys.identity, mine.adderKeys);
        try {
            const envelope = await e2ee.sealEnvelope({ conversation: state.conversation, epoch: state.epoch, recipient: fromHex(p.account),
                recipientPublic: p.keys, adder: this.keys.account, adderIdentity: this.keys.identity, epochKeyBytes });
            await this.request("POST", `/v1/e2ee/conversations/${state.id}/envelopes`, { envelopes: [b64(envelope)] });
        } finally {
            epochKeyBytes.fill(0);
        }
        return this.conversation(state.id);
    }

    /** Removes someone (§11): opens the next epoch with a new key for every other member of the newest one, in one request. */
    async removeParticipant(state, name) {
        const removed = (await this.profile({ name })).account;
        if (removed === this.account) {
            throw new E2EEError("invalid argument", "a member does not remove itself: the epoch it opened would hold no key of its own");
        }
        const remaining = [...state.members.get(state.epoch)].filter((a) => a !== removed);
        const epoch = state.epoch + 1;
        const epochKeyBytes = e2ee.randomBytes(32);
        try {
            const envelopes = [];
            for (const account of remaining) {
                const keys = account === this.account ? await this.myPublic() : (await this.profile({ account })).keys;
                envelopes.push(b64(await e2ee.sealEnvelope({ conversation: state.conversation, epoch, recipient: fromHex(account),
                    recipientPublic: keys, adder: this.keys.account, adderIdentity: this.keys.identity, epochKeyBytes })));
            }
            await this.request("POST", `/v1/e2ee/conversations/${state.id}/envelopes`, { envelopes });
        } finally {
            epochKeyBytes.fill(0);
        }
        const after = await this.conversation(state.id);
        // The epoch is the one I opened, without the removed member (a node listing someone
        // else's opening first would otherwise have me write under that key).
        if (after.openers.get(epoch) !== this.account || after.members.get(epoch)?.has(removed)) {
            throw new E2EEError("conflict", `epoch ${epoch} was opened by another account, or still holds ${name}: the node did not carry out the removal`);
        }
        return after;
    }

    async myEnvelope(state, epoch) {
        const json = await this.request("GET", `/v1/e2ee/conversations/${state.id}`);
        for (const bytes of json.envelopes) {
            const envelope = e2ee.parseEnvelope(unb64(bytes));
            if (envelope.epoch === epoch && toHex(envelope.recipient) === this.account) {
                return { envelope, adderKeys: (await this.profile({ account: toHex(envelope.adder) })).keys };
            }
        }
        throw new E2EEError("no matching key", `no envelope of epoch ${epoch} is addressed to me`);
    }

    // --- Messages (§13)

    nextHeaderFields(state) {
        state.sequence += 1;
        return { conversation: state.conversation, epoch: state.epoch, epochKey: state.epochKeys.get(state.epoch),
            sender: this.keys.account, sequence: state.sequence, previous: state.lastRead, identity: this.keys.identity };
    }

    async send(state, text) {
        const sealed = await e2ee.sealMessage({ ...this.nextHeaderFields(state), plaintext: encoder.encode(text) });
        await this.request("POST", `/v1/e2ee/conversations/${state.id}/messages`, { message: b64(sealed.bytes) });
        return sealed;
    }

    /**
     * New messages, each checked in the node's order (§13 steps 1–4): `[{position, id, sender,
     * text | stream, missing}]`; a message that fails a check comes back with `error` instead.
     */
    async read(state, { limit = 100 } = {}) {
        const json = await this.request("GET", `/v1/e2ee/conversations/${state.id}/messages?after=${state.after}&limit=${limit}`);
        const out = [];
        for (const { position, message } of json.messages) {
            state.after = Math.max(state.after, position);
            out.push(await this.readOne(state, position, unb64(message)));
        }
        return out;
    }

    async readOne(state, position, bytes) {
        try {
            const m = e2ee.parseMessage(bytes);
            if (toHex(m.conversation) !== state.id) throw new E2EEError("conflict", "a message of another conversation");
            // A message of a newer epoch than I hold: its envelopes may have come since I loaded them.
            if (!state.epochKeys.has(m.epoch) && m.epoch > state.epoch) await this.conversation(state.id);
            const epochKey = state.epochKeys.get(m.epoch);
            if (!epochKey) throw new E2EEError("no matching key", `no key of epoch ${m.epoch}`);
            const sender = toHex(m.sender);
            if (!state.members.get(m.epoch)?.has(sender)) throw new E2EEError("authentication failed", "the sender is not a member of that epoch");
            const profile = await this.profile({ account: sender });
            const opened = await e2ee.openMessage(m, epochKey, profile.keys);
            const { missing } = state.order.accept(m);
            state.lastRead = m.id;
            if (sender === this.account) state.sequence = Math.max(state.sequence, m.sequence);
            const base = { position, id: toHex(m.id), sender, senderName: profile.name, missing, epoch: m.epoch };
            if (m.kind === e2ee.KIND_IMPORTED) {
                // Migrated from a legacy store (§15): author and time are what that store said.
                const imported = JSON.parse(decoder.decode(opened.plaintext));
                return { ...base, text: imported.text, imported: { author: imported.author, sentAt: imported.sent_at } };
            }
            if (opened.plaintext) return { ...base, text: decoder.decode(opened.plaintext) };
            return { ...base, stream: { message: m, streamKey: opened.streamKey, senderKeys: profile.keys } };
        } catch (error) {
            return { position, error };
        }
    }

    // --- Token streams (§14)

    /** Opens a stream: posts its kind-2 message; returns a writer whose `write(piece, final)` uploads each chunk. */
    async startStream(state) {
        const streamKeyBytes = e2ee.randomBytes(32);
        const sealed = await e2ee.sealMessage({ ...this.nextHeaderFields(state), kind: e2ee.KIND_STREAM, plaintext: streamKeyBytes });
        await this.request("POST", `/v1/e2ee/conversations/${state.id}/messages`, { message: b64(sealed.bytes) });
        const writer = await e2ee.StreamWriter.start(sealed, streamKeyBytes, this.keys.identity);
        streamKeyBytes.fill(0);
        const path = `/v1/e2ee/conversations/${state.id}/streams/${toHex(sealed.id)}`;
        return {
            id: toHex(sealed.id),
            write: async (piece, final = false) => {
                const index = writer.chunks.length;
                const chunk = await writer.next(piece, final);
                await this.request("PUT", `${path}/chunks/${index}`, { chunk: b64(chunk), final });
                if (final) await this.request("PUT", `${path}/seal`, { seal: b64(await writer.seal()) });
            },
        };
    }

    /**
     * Reads a stream as it is written: `onPiece(text, index)` for each chunk as soon as it opens;
     * resolves `true` once the seal verifies. A dropped connection resumes after the last chunk
     * that verified (`?from=`); a stream that ends without a final chunk is `truncated`.
     */
    async readStream(state, stream, onPiece, { attempts = 5 } = {}) {
        const reader = await e2ee.StreamReader.start(stream.message, stream.streamKey);
        const path = `/v1/e2ee/conversations/${state.id}/streams/${toHex(stream.message.id)}`;
        for (let attempt = 0; attempt < attempts; attempt++) {
            const response = await fetch(`${this.base}${path}?from=${reader.count}`, {
                headers: { Accept: "text/event-stream", Authorization: `Bearer ${this.session}` },
            });
            if (!response.ok) throw new E2EEError(`HTTP ${response.status}`, "the stream could not be read");
            try {
                for await (const event of serverSentEvents(response.body)) {
                    if (event.event === "chunk") {
                        const data = JSON.parse(event.data);
                        const index = Number(event.id);
                        if (index !== reader.count) throw new E2EEError("reordered", `chunk ${index} where ${reader.count} was due`);
                        const piece = await reader.next(unb64(data.chunk), data.final === true);
                        onPiece(decoder.decode(piece), index);
                    } else if (event.event === "seal") {
                        return reader.finish(unb64(JSON.parse(event.data).seal), stream.senderKeys);
                    }
                }
            } catch (error) {
                if (error instanceof E2EEError) throw error;
                // The connection dropped: resume after the last verified chunk.
            }
        }
        throw new E2EEError("truncated", "the stream ended without its seal");
    }
}

/** Parses a text/event-stream body into `{event, id, data}` events. */
export async function* serverSentEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let event = { event: "message", id: null, data: [] };
    for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let newline;
        while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
            if (line === "") {
                if (event.data.length > 0) yield { event: event.event, id: event.id, data: event.data.join("\n") };
                event = { event: "message", id: null, data: [] };
            } else if (!line.startsWith(":")) {
                const colon = line.indexOf(":");
                const field = colon < 0 ? line : line.slice(0, colon);
                const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
                if (field === "data") event.data.push(text);
                else if (field === "event") event.event = text;
                else if (field === "id") event.id = text;
            }
        }
    }
}
