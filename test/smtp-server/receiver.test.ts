// The receiver's selection and secure contexts (issue 14, items 1 and 4): the prepared selector at
// every EHLO (I1–I4), one SecureContext per decision, a new one on a store change, the selection's
// events, STARTTLS off when the STARTTLS selection chose nothing, and the missing-peer message.
// STARTTLS by selection has its own file, starttls.test.ts.
import type { TLSSocket } from "node:tls";

import type { SMTPServerOptions } from "smtp-server";
import { describe, expect, it } from "vitest";
import { SecureContextCache } from "../../src/adapters/smtp-server/contexts.js";
import { loadReceiver } from "../../src/adapters/smtp-server/index.js";
import { smtpCommand } from "../../src/adapters/tls.js";
import {
  type CertStore,
  type Selected,
  type StoreEntry,
  selectInboundAnonymousTlsCert,
} from "../../src/index.js";
import { entry, fixture, memoryStore, NOW, staticDirectory } from "../support/fixtures.js";
import {
  clientHandshake,
  closeEverythingAfterEach,
  connectTo,
  startReceiver,
  upToHandshake,
  upToStartTls,
  wellBehavedSession,
} from "./support.js";

closeEverythingAfterEach();

/** A store whose listing the test replaces (a new array: the selector's "store change"). */
function switchableStore(
  initial: readonly StoreEntry[],
): CertStore & { set(e: StoreEntry[]): void } {
  let current = initial;
  return {
    list: () => current,
    set(entries) {
      current = entries;
    },
  };
}

async function ehloKeywords(port: number): Promise<string[]> {
  const socket = await connectTo(port);
  await smtpCommand(socket, null, { timeout: 5_000 });
  const reply = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
  await smtpCommand(socket, "QUIT", { timeout: 5_000 });
  socket.destroy();
  return reply.lines.slice(1).map((line) => line.split(" ")[0] ?? "");
}

describe("one SecureContext per decision (issue 14, item 4)", () => {
  it("twenty sessions with the same decision share one context", async () => {
    const receiver = await startReceiver();
    for (let i = 0; i < 20; i++) await wellBehavedSession(receiver);
    // One for X-ANONYMOUSTLS, one for the STARTTLS decision each EHLO also made (S1–S9).
    expect(receiver.server.contextsBuilt()).toBe(2);
    expect(receiver.startTlsDecisions.filter((d) => d.offered)).toHaveLength(20);
    expect(receiver.ehlo.filter((d) => d.offered)).toHaveLength(20);
  });

  it("a store change builds a new context, and sessions present the new certificate (I3)", async () => {
    const store = switchableStore([entry("self-signed", { withKey: true })]);
    const directory = { value: fixture("self-signed").thumbprint };
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        directory: { readInternalTransportCertificate: async () => directory.value },
        store,
        now: NOW,
      },
    });
    await wellBehavedSession(receiver);
    expect(receiver.server.contextsBuilt()).toBe(1);

    // Renewal: the directory and the store now name leaf-rsa.
    store.set([entry("leaf-rsa", { withKey: true })]);
    directory.value = fixture("leaf-rsa").thumbprint;
    const socket = await upToHandshake(receiver.port);
    const tlsSocket = await clientHandshake(socket);
    expect(tlsSocket.getPeerCertificate().fingerprint.replaceAll(":", "")).toBe(
      fixture("leaf-rsa").thumbprint,
    );
    tlsSocket.destroy();
    expect(receiver.server.contextsBuilt()).toBe(2);

    // The same files read again into new objects (what a folder store does at every EHLO): a
    // new listing for the selector, the same decision, so the same context.
    for (let i = 0; i < 3; i++) {
      store.set([entry("leaf-rsa", { withKey: true })]);
      const s = await upToHandshake(receiver.port);
      (await clientHandshake(s)).destroy();
    }
    expect(receiver.server.contextsBuilt()).toBe(2);
  });

  it("A9: a key that is not the certificate's is refused by the selection itself: not offered, no error", async () => {
    const broken: StoreEntry = {
      ...entry("self-signed", { withKey: true }),
      privateKey: fixture("leaf-ec").keyPem,
    };
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        directory: staticDirectory(fixture("self-signed").thumbprint),
        store: memoryStore([broken]),
        now: NOW,
      },
    });
    for (let i = 0; i < 3; i++) {
      expect(await ehloKeywords(receiver.port)).not.toContain("X-ANONYMOUSTLS");
    }
    expect(receiver.ehlo.map((d) => d.offered)).toEqual([false, false, false]);
    expect(receiver.errors).toEqual([]);
    expect(receiver.server.contextsBuilt()).toBe(0);
  });
});

describe("SecureContextCache: the decision is the key (thumbprint, chain, key text)", () => {
  async function selected(): Promise<Selected> {
    const selection = await selectInboundAnonymousTlsCert({
      receiveConnector: { authMechanism: "Tls, ExchangeServer" },
      directory: staticDirectory(fixture("leaf-rsa").thumbprint),
      store: memoryStore([entry("leaf-rsa", { withKey: true })]),
      trustAnchors: [fixture("root-rsa").der],
      intermediates: [fixture("inter-rsa").der],
      now: NOW,
    });
    if (selection.outcome !== "selected") throw new Error(selection.outcome);
    expect(selection.chain).toHaveLength(2);
    return selection;
  }

  it("the same decision in a later session (new copies of the chain) reuses the context", async () => {
    const cache = new SecureContextCache("TLSv1.2");
    const first = cache.get(await selected());
    const again = cache.get(await selected());
    expect(first.ok && again.ok && first.context === again.context).toBe(true);
    expect(cache.built).toBe(1);
  });

  it("another chain for the same certificate builds a new one", async () => {
    const cache = new SecureContextCache("TLSv1.2");
    const base = await selected();
    cache.get(base);
    cache.get({ ...base, chain: base.chain.slice(0, 1) });
    expect(cache.built).toBe(2);
    // …and so does the first chain again: one context per certificate is kept, the latest.
    cache.get(base);
    expect(cache.built).toBe(3);
  });

  it("key text TLS cannot load: private-key-unusable, reported as first once, never rebuilt", async () => {
    const cache = new SecureContextCache("TLSv1.2");
    const base = await selected();
    const broken: Selected = {
      ...base,
      entry: {
        ...base.entry,
        privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      },
    };
    const first = cache.get(broken);
    const second = cache.get(broken);
    expect(first).toMatchObject({ ok: false, reason: "private-key-unusable", first: true });
    expect(second).toMatchObject({ ok: false, reason: "private-key-unusable", first: false });
    expect(cache.built).toBe(1);
    // The right key for the same decision is a different decision: it builds.
    expect(cache.get(base).ok).toBe(true);
    expect(cache.built).toBe(2);
  });
});

describe("the selection at each EHLO (issue 14, item 1)", () => {
  it("I4: an expired certificate is still offered, and each EHLO's 12015 reaches onEvent with its session", async () => {
    const events: { id: number; session: string | null }[] = [];
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        directory: staticDirectory(fixture("expired").thumbprint),
        store: memoryStore([entry("expired", { withKey: true })]),
        now: NOW,
      },
      onEvent: (event, session) => events.push({ id: event.id, session: session?.id ?? null }),
      // Only the anonymous selection's events here (starttls.test.ts has STARTTLS's).
      startTls: false,
    });
    expect(receiver.server.startup.outcome).toBe("selected");
    expect(await ehloKeywords(receiver.port)).toContain("X-ANONYMOUSTLS");
    expect(await ehloKeywords(receiver.port)).toContain("X-ANONYMOUSTLS");
    expect(events.map((e) => e.id)).toEqual([12015, 12015, 12015]);
    // The first is the start-up selection's (no session); the others carry their session's id.
    expect(events[0]?.session).toBeNull();
    expect(events[1]?.session).toMatch(/^[a-z0-9]+$/);
    expect(events[2]?.session).not.toBe(events[1]?.session);
  });

  it("I1: a Receive connector without ExchangeServer never lists the keyword or knows the command", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls" },
        directory: staticDirectory(fixture("self-signed").thumbprint),
        store: memoryStore([entry("self-signed", { withKey: true })]),
        now: NOW,
      },
    });
    expect(await ehloKeywords(receiver.port)).not.toContain("X-ANONYMOUSTLS");
    expect(receiver.ehlo[0]?.offered).toBe(false);
    expect(receiver.ehlo[0]?.reason).toMatch(/^gate /);
  });

  it("with no STARTTLS certificate selected (S3), STARTTLS is off: never smtp-server's built-in certificate, whose key is public", async () => {
    // No connector Fqdn: S2 looks for the physical FQDN, which defaults to smtp.name (hub01…),
    // and no certificate carries it.
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        directory: staticDirectory(fixture("self-signed").thumbprint),
        store: memoryStore([entry("self-signed", { withKey: true })]),
        now: NOW,
      },
    });
    const keywords = await ehloKeywords(receiver.port);
    expect(keywords).not.toContain("STARTTLS");
    expect(keywords).toContain("X-ANONYMOUSTLS");
    expect(receiver.startTlsDecisions[0]?.selection).toMatchObject({
      lookedFor: { name: "hub01.contoso.com", source: "physical-fqdn" },
    });
    const socket = await connectTo(receiver.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    expect((await smtpCommand(socket, "STARTTLS", { timeout: 5_000 })).code).toBe(500);
    socket.destroy();
  });
});

describe("the start-up selections: selected is not offered without a usable key (A9)", () => {
  it("a store without keys (a snapshot's): both certificates selected, neither offered, and why", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: "mail.contoso.com" },
        directory: staticDirectory(fixture("self-signed").thumbprint),
        // hasPrivateKey true (the store says so), but no key text: nothing to put on a socket.
        store: memoryStore([entry("self-signed"), entry("self-signed-newest")]),
        now: NOW,
      },
    });
    expect(receiver.server.startup.outcome).toBe("selected");
    expect(receiver.server.startupStartTls?.outcome).toBe("selected");
    expect(receiver.server.startupOffer).toEqual({
      offered: false,
      reason: "no-private-key-material",
    });
    expect(receiver.server.startupStartTlsOffer).toEqual({
      offered: false,
      reason: "no-private-key-material",
    });
    // What the start-up said is what an EHLO does.
    const keywords = await ehloKeywords(receiver.port);
    expect(keywords).not.toContain("X-ANONYMOUSTLS");
    expect(keywords).not.toContain("STARTTLS");
  });

  it("with the keys: both offered; their contexts are built at start-up and the sessions reuse them", async () => {
    const receiver = await startReceiver();
    expect(receiver.server.startupOffer).toEqual({ offered: true });
    expect(receiver.server.startupStartTlsOffer).toEqual({ offered: true });
    expect(receiver.server.contextsBuilt()).toBe(2);
    await wellBehavedSession(receiver);
    expect(receiver.server.contextsBuilt()).toBe(2);
  });

  it("STARTTLS off: no STARTTLS offer to report", async () => {
    const receiver = await startReceiver({ startTls: false });
    expect(receiver.server.startupStartTlsOffer).toBeNull();
  });
});

/** Resolves once `condition` holds (polled), or fails after `ms`. */
async function eventually(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("each handshake reported (protocol, the client's chain), read when it completed", () => {
  // smtp-server calls back after its onSecure (a turn of the event loop at least): a client that
  // closes right after its handshake has taken the socket's protocol and peer certificate with
  // it by then. They must be read at the TLS socket's 'secure' event.
  it("clients that close right after the handshake (X-ANONYMOUSTLS and STARTTLS, five each): every session is reported with TLSv1.3 and the client's certificate", async () => {
    const receiver = await startReceiver();
    for (let i = 1; i <= 5; i++) {
      for (const [upTo, reported] of [
        [upToHandshake, receiver.sessions],
        [upToStartTls, receiver.startTlsSessions],
      ] as const) {
        const tlsSocket = await clientHandshake(await upTo(receiver.port));
        tlsSocket.end();
        await eventually(() => reported.length === i, `session ${i} reported`);
      }
    }
    for (const session of [...receiver.sessions, ...receiver.startTlsSessions]) {
      expect(session.protocol).toBe("TLSv1.3");
      expect(session.peerThumbprint).toBe(fixture("leaf-ec").thumbprint);
      expect(session.peerChain.map((c) => c.thumbprint)).toEqual([fixture("leaf-ec").thumbprint]);
    }
    expect(new Set(receiver.sessions.map((s) => s.session.id)).size).toBe(5);
    expect(receiver.errors).toEqual([]);
  });

  it("smtp.onSecure still decides: it sees the TLS socket first, and a session it refuses is not reported", async () => {
    const seen: (string | null)[] = [];
    let refuse = true;
    const receiver = await startReceiver({
      smtp: {
        name: "hub01.contoso.com",
        onSecure(socket, _session, callback) {
          seen.push((socket as TLSSocket).getProtocol());
          callback(refuse ? new Error("not this client") : null);
        },
      },
    });
    const refused = await clientHandshake(await upToHandshake(receiver.port));
    await eventually(() => seen.length === 1, "onSecure called");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.sessions).toEqual([]);
    refused.destroy();
    refuse = false;
    await wellBehavedSession(receiver);
    expect(seen).toEqual(["TLSv1.3", "TLSv1.3"]);
    expect(receiver.sessions).toHaveLength(1);
  });
});

describe("the optional peer dependency smtp-server", () => {
  it("missing: a clear error naming the package, code ERR_MISSING_PEER_DEPENDENCY", async () => {
    const missing = Object.assign(new Error("Cannot find package 'smtp-server' imported from x"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    const failure = await loadReceiver(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "ERR_MISSING_PEER_DEPENDENCY", cause: missing });
    expect((failure as Error).message).toContain("npm install smtp-server@3.21");
  });

  it("another failure (a dependency of smtp-server missing) is left as Node reported it", async () => {
    const other = Object.assign(new Error("Cannot find package 'ipv6-normalize'"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    await expect(loadReceiver(() => Promise.reject(other))).rejects.toBe(other);
  });

  it("installed: the receiver module", async () => {
    const receiver = await loadReceiver();
    expect(typeof receiver.createAnonymousTlsServer).toBe("function");
  });
});

describe("review fixes: deadlines, repeated EHLOs, implicit TLS (issue 14, item 2)", () => {
  it("a directory that never answers: the EHLO is answered within selectionTimeout, without the keyword", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: "mail.contoso.com" },
        directory: { readInternalTransportCertificate: () => new Promise<never>(() => {}) },
        store: memoryStore([entry("self-signed", { withKey: true })]),
        now: NOW,
      },
      selectionTimeout: 300,
    });
    const started = Date.now();
    const keywords = await ehloKeywords(receiver.port);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(keywords).not.toContain("X-ANONYMOUSTLS");
    // R4: a read that did not finish counts as "cannot be read".
    expect(receiver.ehlo.at(-1)).toMatchObject({ offered: false, reason: "directory-unreadable" });
    // STARTTLS reads no directory: still offered.
    expect(keywords).toContain("STARTTLS");
  });

  it("repeated EHLOs on one connection reuse its decision: the store is listed once per connection", async () => {
    const store = memoryStore([entry("self-signed", { withKey: true })]);
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: "mail.contoso.com" },
        directory: staticDirectory(fixture("self-signed").thumbprint),
        store,
        now: NOW,
      },
    });
    const listedBefore = store.calls;
    const socket = await connectTo(receiver.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    for (let i = 0; i < 20; i++) {
      const reply = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
      expect(reply.lines.slice(1)).toContain("X-ANONYMOUSTLS");
    }
    // One EHLO's two selections (X-ANONYMOUSTLS and STARTTLS) list the store; the others reuse.
    expect(store.calls - listedBefore).toBe(2);
    expect(receiver.ehlo).toHaveLength(1);
    // The command still works after the repeats.
    const go = await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 5_000 });
    expect(go.code).toBe(220);
    const tls: TLSSocket = await clientHandshake(socket);
    expect(tls.getProtocol()).toMatch(/^TLSv1\.[23]$/);
  });

  it("implicit TLS (smtp.secure) without smtp.key/cert is misuse: smtp-server's built-in key is public", async () => {
    await expect(
      startReceiver({ smtp: { name: "hub01.contoso.com", secure: true } }),
    ).rejects.toThrow(TypeError);
  });
});

describe("smtp-server's own STARTTLS switches (review fix)", () => {
  it.each<[string, SMTPServerOptions]>([
    ["disabledCommands", { disabledCommands: ["AUTH", "STARTTLS"] }],
    ["hideSTARTTLS", { hideSTARTTLS: true }],
  ])(
    "%s: no STARTTLS selection, nothing reported as offered, and STARTTLS is refused",
    async (_, smtp) => {
      const receiver = await startReceiver({ smtp: { name: "hub01.contoso.com", ...smtp } });
      const keywords = await ehloKeywords(receiver.port);
      expect(keywords).not.toContain("STARTTLS");
      expect(keywords).toContain("X-ANONYMOUSTLS");
      expect(receiver.startTlsDecisions).toEqual([]);
      const socket = await connectTo(receiver.port);
      await smtpCommand(socket, null, { timeout: 5_000 });
      await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
      const refused = await smtpCommand(socket, "STARTTLS", { timeout: 5_000 });
      expect(refused.code).toBeGreaterThanOrEqual(500);
    },
  );
});
