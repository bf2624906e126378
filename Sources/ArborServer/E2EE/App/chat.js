// The demo chat page: sign up (the recovery code shown once), sign in, one conversation, messages
// and a simulated streaming assistant (a local token generator, no model) whose reply appears
// chunk by chunk as each chunk verifies. All cryptography is in e2ee.js, all requests in client.js.

import { missingAlgorithms, recoveryGroups, E2EEError } from "./e2ee.js";
import { ArborClient } from "./client.js";

const $ = (id) => document.getElementById(id);
const client = new ArborClient();
// For the browser tests: the session (null once signed out) and what the page showed.
window.arborSession = null;
window.arborStats = { chunksShown: 0 };

let conversation = null;
let polling = null;
const shownStreams = new Set();

function show(...ids) {
    for (const section of ["signup", "recovery", "signin", "chat"]) $(section).hidden = !ids.includes(section);
}

function status(text, error = false) {
    $("status").textContent = text;
    $("status").className = error ? "alert" : "";
}

/** Runs a user action with its button disabled, showing what failed in plain words. */
function action(button, work) {
    $(button).addEventListener("click", async () => {
        $(button).disabled = true;
        try {
            await work();
        } catch (error) {
            status(error instanceof E2EEError ? error.message : `Failed: ${error.message ?? error}`, true);
        } finally {
            $(button).disabled = false;
        }
    });
}

async function signedIn() {
    window.arborSession = client.session;
    $("whoami").textContent = client.name;
    const me = await client.profile({ account: client.account });
    $("my-safety").textContent = `your safety number: ${me.safety.digits}`;
    show("chat");
    polling = setInterval(() => refresh().catch((error) => status(error.message, true)), 1000);
}

async function openConversation(id) {
    conversation = await client.conversation(id);
    $("messages").dataset.conversation = id;
    $("epoch").textContent = String(conversation.epoch);
    const others = [...conversation.members.get(conversation.epoch)].filter((a) => a !== client.account);
    if (others.length > 0) {
        const peer = await client.profile({ account: others[0] });
        $("peer-name").value = peer.name;
        $("peer-safety").textContent = `${peer.name}: ${peer.safety.digits}`;
    }
    if (conversation.invalid > 0) status(`${conversation.invalid} key envelope(s) of this conversation are not valid and were ignored`, true);
    await refreshNow();
}

function addMessage(item) {
    const li = document.createElement("li");
    li.className = "message";
    const who = document.createElement("span");
    who.className = "who";
    if (item.error) {
        li.classList.add("refused");
        li.textContent = `message ${item.position} refused: ${item.error.message}`;
    } else {
        who.textContent = item.imported ? `${item.imported.author} (imported)` : item.sender === client.account ? "you" : item.senderName;
        li.classList.add("verified");
        if (item.sender === client.account) li.classList.add("mine");
        li.append(who, document.createTextNode(item.text ?? ""));
        if (item.missing > 0) li.title = `${item.missing} earlier message(s) of this sender were withheld`;
    }
    $("messages").append(li);
    return li;
}

// Reads run one at a time (the poll, the buttons): two reads of the same messages would
// rightly be refused the second time as replays.
let queue = Promise.resolve();
function serial(work) {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
}

function refresh() {
    return serial(refreshNow);
}

async function refreshNow() {
    if (!conversation) {
        const ids = await client.conversationIds();
        if (ids.length === 0) return;
        return openConversation(ids[ids.length - 1]);
    }
    const items = await client.read(conversation);
    $("epoch").textContent = String(conversation.epoch);
    for (const item of items) {
        if (item.stream) {
            if (shownStreams.has(item.id)) continue;
            shownStreams.add(item.id);
            const li = addMessage({ ...item, text: "" });
            li.classList.add("stream");
            li.classList.remove("verified");
            client.readStream(conversation, item.stream, (piece) => {
                li.append(document.createTextNode(piece));
                window.arborStats.chunksShown += 1;
            }).then(() => li.classList.add("sealed", "verified"), (error) => {
                li.classList.add("refused");
                li.append(document.createTextNode(` [refused: ${error.message}]`));
            });
        } else {
            addMessage(item);
        }
    }
}

/** The simulated assistant: a local generator that yields a reply a few characters at a time. */
async function* assistantTokens() {
    const reply = "I am the assistant, simulated in this page. Each piece of this reply was encrypted on its own, " +
        "numbered, relayed by the node as it was generated, and checked in your browser before it appeared.";
    for (const token of reply.match(/\S+\s*/g)) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        yield token;
    }
}

action("signup-button", async () => {
    if (!$("signup-understood").checked) throw new Error("please confirm that you understand that losing both password and code loses your data");
    status("Creating your keys (600,000 rounds of PBKDF2)…");
    const words = await client.signUp($("signup-name").value.trim(), $("signup-password").value);
    $("signup-password").value = "";
    const list = $("recovery-words");
    list.replaceChildren(...recoveryGroups(words).map((group) => Object.assign(document.createElement("li"), { textContent: group })));
    list.hidden = false;
    words.fill("");
    show("recovery");
    status("Account created.");
});

action("recovery-done", async () => {
    $("recovery-words").replaceChildren();
    $("recovery-words").hidden = true;
    await signedIn();
});

action("signin-button", async () => {
    status("Signing in…");
    await client.signIn($("signin-name").value.trim(), $("signin-password").value);
    $("signin-password").value = "";
    status("");
    await signedIn();
});

action("signout-button", async () => {
    clearInterval(polling);
    await client.signOut();
    conversation = null;
    shownStreams.clear();
    window.arborSession = null;
    for (const id of ["messages", "peer-safety", "my-safety", "whoami"]) $(id).replaceChildren();
    show("signin", "signup");
    status("Signed out: this page holds no key any more.");
});

action("start-button", async () => {
    const state = await client.startConversation([$("peer-name").value.trim()]);
    await serial(async () => {
        $("messages").replaceChildren();
        shownStreams.clear();
        conversation = null;
        await openConversation(state.id);
    });
});

action("refresh-button", refresh);

action("send-button", async () => {
    if (!conversation) throw new Error("start a conversation first");
    await client.send(conversation, $("message-text").value);
    $("message-text").value = "";
    await refresh();
});

action("assistant-button", async () => {
    if (!conversation) throw new Error("start a conversation first");
    const stream = await client.startStream(conversation);
    const encoder = new TextEncoder();
    for await (const token of assistantTokens()) await stream.write(encoder.encode(token));
    await stream.write(new Uint8Array(0), true);
});

const missing = await missingAlgorithms();
if (missing.length > 0) {
    $("unsupported").textContent = `This browser lacks what end-to-end encryption here needs: ${missing.join(", ")}. ` +
        "Use a browser with these WebCrypto algorithms (Chromium 156 or later).";
    $("unsupported").hidden = false;
} else {
    show("signin", "signup");
}
