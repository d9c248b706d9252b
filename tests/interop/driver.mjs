// A matrix-js-sdk officer (Rust crypto, OnlySignedDevicesIsolationMode, as Element),
// driven by the Python interop test over stdin/stdout, one JSON object a line:
//   request  {"id": 1, "cmd": "login", ...arguments}
//   answer   {"id": 1, "ok": true, "result": ...} or {"id": 1, "ok": false, "error": "..."}
// Only answers go to stdout; everything the SDK logs goes to stderr.
import readline from "node:readline";

import * as sdk from "matrix-js-sdk";
import { CrossSigningKey, OnlySignedDevicesIsolationMode } from "matrix-js-sdk/lib/crypto-api/index.js";
import { logger } from "matrix-js-sdk/lib/logger.js";

const answer = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
for (const name of ["log", "info", "debug", "warn", "error", "trace"]) {
    console[name] = (...args) => process.stderr.write(`${args.map(String).join(" ")}\n`);
}
logger.setLevel(process.env.INTEROP_LOG_LEVEL || "warn");

let client = null;
let password = null;

function crypto() {
    const api = client?.getCrypto();
    if (!api) throw new Error("not logged in with crypto (send login first)");
    return api;
}

async function login({ base_url, user_id, password: secret, device_name }) {
    password = secret;
    const bare = sdk.createClient({ baseUrl: base_url });
    const session = await bare.loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: user_id },
        password: secret,
        initial_device_display_name: device_name,
    });
    client = sdk.createClient({
        baseUrl: base_url,
        userId: session.user_id,
        deviceId: session.device_id,
        accessToken: session.access_token,
    });
    await client.initRustCrypto({ useIndexedDB: false });
    crypto().setDeviceIsolationMode(new OnlySignedDevicesIsolationMode());
    const synced = new Promise((resolve) => {
        client.on(sdk.ClientEvent.Sync, (state) => state === "PREPARED" && resolve());
    });
    await client.startClient({ initialSyncLimit: 20 });
    await synced;
    return { user_id: session.user_id, device_id: session.device_id };
}

async function bootstrapCrossSigning() {
    await crypto().bootstrapCrossSigning({
        setupNewCrossSigning: true,
        // The homeserver's user-interactive auth: first without auth (to learn the
        // session), then with the account's password.
        authUploadDeviceSigningKeys: async (makeRequest) => {
            await makeRequest({
                type: "m.login.password",
                identifier: { type: "m.id.user", user: client.getUserId() },
                password,
            });
        },
    });
    const master = await crypto().getCrossSigningKeyId(CrossSigningKey.Master);
    return { master_key: master, ready: await crypto().isCrossSigningReady() };
}

function invitations() {
    return client
        .getRooms()
        .filter((room) => room.getMyMembership() === "invite")
        .map((room) => room.roomId);
}

// Resolves once check() holds after one of the client's syncs (rejects after timeoutMs).
function afterSync(check, what, timeoutMs = 60000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            client.off(sdk.ClientEvent.Sync, onSync);
            reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        const onSync = async () => {
            if (await check()) {
                clearTimeout(timer);
                client.off(sdk.ClientEvent.Sync, onSync);
                resolve();
            }
        };
        client.on(sdk.ClientEvent.Sync, onSync);
        onSync();
    });
}

// The officer's first message right after joining, as an impatient officer sends it:
// as soon as the join's sync shows the room (and its encryption), as Element's composer.
async function joinAndSend({ room_id, content, type = "m.room.message" }) {
    await client.joinRoom(room_id);
    await afterSync(
        async () =>
            client.getRoom(room_id)?.getMyMembership() === "join" &&
            (await crypto().isEncryptionEnabledInRoom(room_id)),
        `the joined room ${room_id} to sync`,
    );
    const sent = await client.sendEvent(room_id, type, content);
    return { event_id: sent.event_id };
}

async function send({ room_id, content, type = "m.room.message" }) {
    const sent = await client.sendEvent(room_id, type, content);
    return { event_id: sent.event_id };
}

async function describe(event) {
    const info = event.isEncrypted() ? await crypto().getEncryptionInfoForEvent(event) : null;
    return {
        event_id: event.getId(),
        sender: event.getSender(),
        type: event.getType(),
        encrypted: event.isEncrypted(),
        decryption_failure: event.isDecryptionFailure() ? String(event.decryptionFailureReason) : null,
        content: event.getContent(),
        shield_colour: info ? info.shieldColour : null,
        shield_reason: info ? info.shieldReason : null,
    };
}

async function events({ room_id }) {
    const room = client.getRoom(room_id);
    if (!room) return [];
    const timeline = room.getLiveTimeline().getEvents();
    return Promise.all(timeline.filter((e) => e.getType() !== "m.room.member").map(describe));
}

async function deviceStatus({ user_id, device_id }) {
    const status = await crypto().getDeviceVerificationStatus(user_id, device_id);
    if (!status) return null;
    return {
        signed_by_owner: status.signedByOwner,
        cross_signing_verified: status.crossSigningVerified,
        locally_verified: status.localVerified,
        verified: status.isVerified(),
    };
}

async function userStatus({ user_id }) {
    const status = await crypto().getUserVerificationStatus(user_id);
    return {
        cross_signing_verified: status.isCrossSigningVerified(),
        was_cross_signing_verified: status.wasCrossSigningVerified(),
        verified: status.isVerified(),
        needs_user_approval: status.needsUserApproval,
        has_cross_signing_keys: await crypto().userHasCrossSigningKeys(user_id, true),
    };
}

async function devices({ user_id }) {
    const map = await crypto().getUserDeviceInfo([user_id], true);
    return [...(map.get(user_id)?.keys() ?? [])];
}

async function stop() {
    client?.stopClient();
    return null;
}

const commands = {
    login,
    bootstrap_cross_signing: bootstrapCrossSigning,
    invitations: async () => invitations(),
    join_and_send: joinAndSend,
    send,
    events,
    device_status: deviceStatus,
    user_status: userStatus,
    devices,
    stop,
};

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
    let request;
    try {
        request = JSON.parse(line);
    } catch (error) {
        answer({ id: null, ok: false, error: `not a JSON line: ${error.message}` });
        return;
    }
    const run = commands[request.cmd];
    if (!run) {
        answer({ id: request.id, ok: false, error: `unknown command ${JSON.stringify(request.cmd)}` });
        return;
    }
    try {
        answer({ id: request.id, ok: true, result: (await run(request)) ?? null });
    } catch (error) {
        answer({ id: request.id, ok: false, error: `${request.cmd}: ${error?.stack || error}` });
    }
});
lines.on("close", () => {
    client?.stopClient();
    process.exit(0);
});
