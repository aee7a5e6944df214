// STARTTLS in the receiver (issue 14, item 1): listed in an EHLO exactly when the inbound STARTTLS
// selection (S1–S9, E3) chose a certificate whose key TLS can use, the handshake presents that
// certificate and its chain, one SecureContext per decision, re-selected when the store changes,
// and the selection's events (12014, 12016, 12018) reach onEvent. The oracle for "the certificate
// it chose" is the plain function selectInboundStartTlsCert run on the same inputs.
import type { TLSSocket } from "node:tls";
import { describe, expect, it } from "vitest";

import { peerCertificateChain, smtpCommand } from "../../src/adapters/tls.js";
import {
  type CertStore,
  type InboundStartTlsSelectionOptions,
  type StoreEntry,
  selectInboundStartTlsCert,
} from "../../src/index.js";
import { entry, fixture, memoryStore, NOW, staticDirectory } from "../support/fixtures.js";
import {
  CONNECTOR_FQDN,
  clientHandshake,
  closeEverythingAfterEach,
  connectTo,
  RECEIVER_CERT,
  STARTTLS_CERT,
  startReceiver,
  upToStartTls,
  wellBehavedSession,
  wellBehavedStartTlsSession,
} from "./support.js";

closeEverythingAfterEach();

async function ehloKeywords(port: number): Promise<string[]> {
  const socket = await connectTo(port);
  await smtpCommand(socket, null, { timeout: 5_000 });
  const reply = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
  await smtpCommand(socket, "QUIT", { timeout: 5_000 });
  socket.destroy();
  return reply.lines.slice(1).map((line) => line.split(" ")[0] ?? "");
}

/** EHLO without STARTTLS listed, then STARTTLS anyway: smtp-server's unknown-command answer. */
async function startTlsRefused(port: number): Promise<void> {
  const socket = await connectTo(port);
  await smtpCommand(socket, null, { timeout: 5_000 });
  const ehlo = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
  expect(ehlo.lines.slice(1)).not.toContain("STARTTLS");
  const refused = await smtpCommand(socket, "STARTTLS", { timeout: 5_000 });
  expect(refused.code).toBe(500);
  // The session goes on in plaintext.
  expect((await smtpCommand(socket, "MAIL FROM:<a@b.example>", { timeout: 5_000 })).code).toBe(250);
  expect((await smtpCommand(socket, "QUIT", { timeout: 5_000 })).code).toBe(221);
  socket.destroy();
}

async function startTlsHandshake(port: number): Promise<TLSSocket> {
  return clientHandshake(await upToStartTls(port));
}

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

describe("STARTTLS presents the inbound STARTTLS selection's certificate (S1–S9)", () => {
  it("S2/S6: listed, and the handshake presents what selectInboundStartTlsCert chose (not the X-ANONYMOUSTLS one)", async () => {
    const receiver = await startReceiver();
    const oracle = await selectInboundStartTlsCert({
      receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
      server: { physicalFqdn: "hub01.contoso.com" },
      store: memoryStore([
        entry(RECEIVER_CERT, { withKey: true }),
        entry(STARTTLS_CERT, { withKey: true }),
      ]),
      now: NOW,
    });
    expect(oracle.outcome).toBe("selected");
    if (oracle.outcome !== "selected") return;
    expect(oracle.thumbprint).toBe(fixture(STARTTLS_CERT).thumbprint);
    expect(oracle.thumbprint).not.toBe(fixture(RECEIVER_CERT).thumbprint);
    expect(receiver.server.startupStartTls).toMatchObject({
      outcome: "selected",
      thumbprint: oracle.thumbprint,
    });

    const session = await wellBehavedStartTlsSession(receiver, oracle.thumbprint);
    expect(session.protocol).toBe("TLSv1.3");
    expect(session.selection.basis).toBe("self-signed");
    const decision = receiver.startTlsDecisions[0];
    expect(decision).toMatchObject({ offered: true, ehlo: "edge01.contoso.com" });
    expect(decision?.selection.outcome).toBe("selected");
    expect(decision?.session.id).toBe(session.session.id);
    // The anonymous decision of the same EHLO is reported apart, with its own certificate.
    expect(receiver.ehlo[0]).toMatchObject({ offered: true });
    expect(receiver.sessions).toHaveLength(0);
    expect(receiver.errors).toEqual([]);
  });

  it("S6 (valid PKI): the handshake sends the selection's chain, leaf then issuing CA", async () => {
    const options: InboundStartTlsSelectionOptions = {
      receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
      server: { physicalFqdn: "hub01.contoso.com" },
      store: memoryStore([entry("leaf-rsa", { withKey: true })]),
      trustAnchors: [fixture("root-rsa").der],
      intermediates: [fixture("inter-rsa").der],
      now: NOW,
    };
    const oracle = await selectInboundStartTlsCert(options);
    if (oracle.outcome !== "selected") throw new Error(oracle.outcome);
    expect(oracle.basis).toBe("pki");
    const receiver = await startReceiver({
      selection: {
        receiveConnector: options.receiveConnector,
        directory: staticDirectory(fixture("leaf-rsa").thumbprint),
        store: options.store,
        trustAnchors: [fixture("root-rsa").der],
        intermediates: [fixture("inter-rsa").der],
        now: NOW,
      },
    });
    const tlsSocket = await startTlsHandshake(receiver.port);
    const sent = peerCertificateChain(tlsSocket).map((c) => Buffer.from(c.der).toString("hex"));
    expect(sent).toEqual(oracle.chain.map((der) => Buffer.from(der).toString("hex")));
    expect(sent).toHaveLength(2);
    expect(peerCertificateChain(tlsSocket)[1]?.thumbprint).toBe(fixture("inter-rsa").thumbprint);
    tlsSocket.destroy();
  });

  it("S2: without a connector Fqdn the server's physical FQDN is looked for", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        server: { physicalFqdn: "edge01.contoso.com" },
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        // RECEIVER_CERT also names edge01.contoso.com and is newer: not enabled for SMTP here,
        // it is not eligible (S4, 2007 edition), so the physical-FQDN certificate is chosen.
        store: memoryStore([
          entry(RECEIVER_CERT, { withKey: true, services: [] }),
          entry("physical-fqdn", { withKey: true }),
        ]),
        now: NOW,
      },
    });
    await wellBehavedStartTlsSession(receiver, fixture("physical-fqdn").thumbprint);
    expect(receiver.startTlsDecisions[0]?.selection).toMatchObject({
      lookedFor: { name: "edge01.contoso.com", source: "physical-fqdn" },
    });
  });

  it("S1: AuthMechanism without Tls: never listed, STARTTLS answered 500, no error", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "ExchangeServer", fqdn: CONNECTOR_FQDN },
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store: memoryStore([entry(STARTTLS_CERT, { withKey: true })]),
        now: NOW,
      },
    });
    expect(receiver.server.startupStartTls?.outcome).toBe("not-attempted");
    await startTlsRefused(receiver.port);
    expect(receiver.startTlsDecisions[0]).toMatchObject({
      offered: false,
      reason: "gate S1 not met",
    });
    expect(receiver.errors).toEqual([]);
  });

  it("S3: no certificate carries the name: not listed, refused, and each EHLO's 12014 reaches onEvent with its session", async () => {
    const events: { id: number; session: string | null }[] = [];
    const receiver = await startReceiver({
      selection: {
        receiveConnector: {
          authMechanism: "Tls, ExchangeServer",
          fqdn: "smtp.fabrikam.com",
          name: "HUB01\\Internet",
        },
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store: memoryStore([entry(RECEIVER_CERT, { withKey: true })]),
        now: NOW,
      },
      onEvent: (event, session) => events.push({ id: event.id, session: session?.id ?? null }),
    });
    expect(receiver.server.startupStartTls).toMatchObject({
      outcome: "no-certificate",
      reason: "no-matching-certificate",
    });
    await startTlsRefused(receiver.port);
    expect(await ehloKeywords(receiver.port)).toContain("X-ANONYMOUSTLS");
    expect(events.map((e) => e.id)).toEqual([12014, 12014, 12014]);
    expect(events[0]?.session).toBeNull();
    expect(events[1]?.session).toMatch(/^[a-z0-9]+$/);
    expect(events[2]?.session).not.toBe(events[1]?.session);
    expect(receiver.startTlsDecisions.map((d) => d.reason)).toEqual([
      "no-matching-certificate",
      "no-matching-certificate",
    ]);
    // The anonymous side is unaffected: a whole X-ANONYMOUSTLS session still works.
    await wellBehavedSession(receiver);
  });

  it("S8: an expired certificate is still listed and presented; 12016 at each EHLO", async () => {
    const ids: number[] = [];
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store: memoryStore([
          entry(RECEIVER_CERT, { withKey: true, services: [] }),
          entry("expired", { withKey: true }),
        ]),
        now: NOW,
      },
      onEvent: (event) => ids.push(event.id),
    });
    const session = await wellBehavedStartTlsSession(receiver, fixture("expired").thumbprint);
    expect(session.selection.expired).toBe(true);
    // Start-up and the one EHLO: each STARTTLS selection logs 12016 (S8).
    expect(ids.filter((id) => id === 12016)).toHaveLength(2);
  });

  it("S9: with an expiry window, a certificate about to expire raises 12018 (and is presented)", async () => {
    const ids: number[] = [];
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store: memoryStore([
          entry(RECEIVER_CERT, { withKey: true, services: [] }),
          entry("expiring-soon", { withKey: true }),
        ]),
        expiryWarning: { days: 30 },
        now: NOW,
      },
      onEvent: (event) => ids.push(event.id),
    });
    await wellBehavedStartTlsSession(receiver, fixture("expiring-soon").thumbprint);
    expect(ids.filter((id) => id === 12018)).toHaveLength(2);
    expect(ids).not.toContain(12016);
  });

  it("A9 by analogy: the chosen certificate's entry has no key text: not listed (no-private-key-material), no error", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store: memoryStore([
          entry(RECEIVER_CERT, { withKey: true }),
          // Marked as having a key (an export), but without the key's text.
          entry(STARTTLS_CERT),
        ]),
        now: NOW,
      },
    });
    await startTlsRefused(receiver.port);
    expect(receiver.startTlsDecisions[0]).toMatchObject({
      offered: false,
      reason: "no-private-key-material",
    });
    expect(receiver.errors).toEqual([]);
    await wellBehavedSession(receiver);
  });

  it("E3 (2016 edition): the connector's TlsCertificateName picks the certificate", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: {
          authMechanism: "Tls, ExchangeServer",
          fqdn: CONNECTOR_FQDN,
          tlsCertificateName: "<I>CN=mail.contoso.com<S>CN=mail.contoso.com",
        },
        edition: "2016",
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store: memoryStore([entry("physical-fqdn", { withKey: true })]),
        now: NOW,
      },
    });
    expect(receiver.server.startupStartTls).toMatchObject({
      edition: "2016",
      outcome: "no-certificate",
      lookedFor: { source: "tlsCertificateName" },
    });
    expect(await ehloKeywords(receiver.port)).not.toContain("STARTTLS");
  });

  it("E4 (2016 edition): a certificate not enabled for SMTP is still chosen and presented (smtpEnabled false)", async () => {
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
        edition: "2016",
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store: memoryStore([
          entry(RECEIVER_CERT, { withKey: true }),
          entry(STARTTLS_CERT, { withKey: true, services: ["IIS"] }),
        ]),
        now: NOW,
      },
    });
    const session = await wellBehavedStartTlsSession(receiver, fixture(STARTTLS_CERT).thumbprint);
    expect(session.selection).toMatchObject({ edition: "2016", smtpEnabled: false });
  });

  it("E3 misuse: a TlsCertificateName in the 2007 edition rejects at creation, not at an EHLO", async () => {
    await expect(
      startReceiver({
        selection: {
          receiveConnector: {
            authMechanism: "Tls, ExchangeServer",
            tlsCertificateName: "<I>CN=mail.contoso.com<S>CN=mail.contoso.com",
          },
          directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
          store: memoryStore([entry(RECEIVER_CERT, { withKey: true })]),
          now: NOW,
        },
      }),
    ).rejects.toMatchObject({ code: "ERR_INVALID_TLS_CERTIFICATE_NAME" });
  });
});

describe("STARTTLS contexts and store changes (issue 14, items 1 and 4)", () => {
  it("ten STARTTLS and ten X-ANONYMOUSTLS sessions: two contexts, one per decision", async () => {
    const receiver = await startReceiver();
    for (let i = 0; i < 10; i++) {
      await wellBehavedStartTlsSession(receiver);
      await wellBehavedSession(receiver);
    }
    expect(receiver.server.contextsBuilt()).toBe(2);
    expect(receiver.startTlsSessions).toHaveLength(10);
  });

  it("a store change is seen by the next EHLO: the new choice is presented, with a new context", async () => {
    const store = switchableStore([
      entry(RECEIVER_CERT, { withKey: true }),
      entry(STARTTLS_CERT, { withKey: true }),
    ]);
    const receiver = await startReceiver({
      selection: {
        receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: CONNECTOR_FQDN },
        directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
        store,
        now: NOW,
      },
    });
    await wellBehavedStartTlsSession(receiver, fixture(STARTTLS_CERT).thumbprint);
    const before = receiver.server.contextsBuilt();
    // The newest certificate is removed: S6 now picks the next newest self-signed one.
    store.set([
      entry(RECEIVER_CERT, { withKey: true }),
      entry("self-signed-old", { withKey: true }),
    ]);
    await wellBehavedStartTlsSession(receiver, fixture(RECEIVER_CERT).thumbprint);
    expect(receiver.server.contextsBuilt()).toBe(before + 1);
    // …and the last certificate carrying the name goes: STARTTLS is no longer listed.
    store.set([entry("physical-fqdn", { withKey: true })]);
    await startTlsRefused(receiver.port);
    expect(receiver.startTlsDecisions.at(-1)).toMatchObject({
      offered: false,
      reason: "no-matching-certificate",
    });
  });
});

describe("the STARTTLS options", () => {
  it("startTls: false never lists STARTTLS (and never runs the selection)", async () => {
    const receiver = await startReceiver({ startTls: false });
    expect(receiver.server.startupStartTls).toBeNull();
    await startTlsRefused(receiver.port);
    expect(receiver.startTlsDecisions).toEqual([]);
  });

  it("smtp.key/cert (the older way) still work: smtp-server presents that certificate, no selection", async () => {
    const own = fixture("self-signed-old");
    const receiver = await startReceiver({
      smtp: { name: "hub01.contoso.com", key: own.keyPem, cert: own.pem },
    });
    expect(receiver.server.startupStartTls).toBeNull();
    const tlsSocket = await startTlsHandshake(receiver.port);
    expect(tlsSocket.getPeerCertificate().fingerprint.replaceAll(":", "")).toBe(own.thumbprint);
    tlsSocket.destroy();
    expect(receiver.startTlsDecisions).toEqual([]);
  });

  it("a callback that throws (onStartTls, after the handshake) is ERR_SESSION_CALLBACK; the TLS session goes on", async () => {
    const receiver = await startReceiver({
      onStartTls: () => {
        throw new Error("boom");
      },
    });
    const socket = await upToStartTls(receiver.port);
    const port = socket.localPort;
    const tlsSocket = await clientHandshake(socket);
    expect((await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 5_000 })).code).toBe(
      250,
    );
    expect((await smtpCommand(tlsSocket, "QUIT", { timeout: 5_000 })).code).toBe(221);
    tlsSocket.destroy();
    expect(receiver.errors.map((e) => e.code)).toEqual(["ERR_SESSION_CALLBACK"]);
    expect(receiver.errors[0]?.message).toBe("onStartTls threw");
    expect(receiver.errors[0]?.session?.remotePort).toBe(port);
  });

  it("a callback that throws (onStartTlsDecision) is ERR_SESSION_CALLBACK; the session goes on", async () => {
    const receiver = await startReceiver({
      onStartTlsDecision: () => {
        throw new Error("boom");
      },
    });
    await wellBehavedStartTlsSession(receiver);
    expect(receiver.errors.map((e) => e.code)).toEqual(["ERR_SESSION_CALLBACK"]);
    expect(receiver.errors[0]?.message).toBe("onStartTlsDecision threw");
  });
});
