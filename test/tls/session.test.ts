// Both ends of a real anonymous-TLS SMTP session on 127.0.0.1: the example receiver
// (examples/anonymous-tls-server, inbound selection I1–I4) and negotiateAnonymousTls (outbound
// selection R1–R15). Each side must see exactly the certificate the other side selected.
import { describe, expect, it } from "vitest";
import { negotiateAnonymousTls, smtpCommand } from "../../src/adapters/tls.js";
import {
  type InboundSelectionOptions,
  type Selection,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import {
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  memoryStore,
  NOW,
  staticDirectory,
} from "../support/fixtures.js";
import {
  closeEverythingAfterEach,
  connectTo,
  ehloOn,
  STARTTLS_FIXTURE,
  startReceiver,
  startTls,
  track,
} from "./helpers.js";

closeEverythingAfterEach();

type ReceiverSelection = Omit<InboundSelectionOptions, "phase">;

/** The receiving side's inputs: by default its directory names `name`, stored with its key. */
function inbound(name: string, overrides: Partial<ReceiverSelection> = {}): ReceiverSelection {
  return {
    receiveConnector: { authMechanism: "Tls, Integrated, ExchangeServer" },
    directory: directoryFor(name),
    store: memoryStore([entry(name, { withKey: true })]),
    now: NOW,
    ...overrides,
  };
}

/** The sending Edge's selection (R2 gate passes) for a directory that names `name`. */
function outbound(name: string, extra: { withKey?: boolean; pki?: "rsa" | "ec" } = {}) {
  return selectOutboundAnonymousTlsCert({
    ...edgeOptions(),
    directory: directoryFor(name),
    store: memoryStore([entry(name, { withKey: extra.withKey ?? true })]),
    ...(extra.pki === undefined
      ? {}
      : {
          trustAnchors: [fixture(`root-${extra.pki}`).der],
          intermediates: [fixture(`inter-${extra.pki}`).der],
        }),
  });
}

const ids = (selection: Selection) => selection.events.map((event) => event.id);
const thumbprints = (...names: string[]) => names.map((name) => fixture(name).thumbprint);
const chainOf = (selection: Selection) =>
  selection.outcome === "selected" ? selection.chain.map((der) => new Uint8Array(der)) : [];

describe("EHLO lists X-ANONYMOUSTLS exactly when the inbound selection yields a usable certificate", () => {
  const cases: {
    name: string;
    selection: ReceiverSelection;
    offered: boolean;
    events: number[];
  }[] = [
    {
      name: "I1–I4: a selected certificate with its key is listed",
      selection: inbound("self-signed"),
      offered: true,
      events: [],
    },
    {
      name: "I3: 12013, the directory names a certificate the store does not have",
      selection: inbound("leaf-rsa", {
        store: memoryStore([entry("self-signed", { withKey: true })]),
      }),
      offered: false,
      events: [12013],
    },
    {
      name: "I1: a Receive connector without ExchangeServer",
      selection: inbound("self-signed", { receiveConnector: { authMechanism: "Tls, Integrated" } }),
      offered: false,
      events: [],
    },
    {
      name: "I2: a null directory value (12012 only at start-up)",
      selection: inbound("self-signed", { directory: staticDirectory(null) }),
      offered: false,
      events: [],
    },
    {
      name: "A9: the store has no private key for it (12013)",
      selection: inbound("self-signed", {
        store: memoryStore([entry("self-signed", { withKey: true, hasPrivateKey: false })]),
      }),
      offered: false,
      events: [12013],
    },
    {
      name: "A9: selected, but the entry carries no key material: never offered",
      selection: inbound("self-signed", { store: memoryStore([entry("self-signed")]) }),
      offered: false,
      events: [],
    },
    {
      name: "I4: an expired directory certificate is still listed (12015)",
      selection: inbound("expired"),
      offered: true,
      events: [12015],
    },
  ];
  for (const { name, selection, offered, events } of cases) {
    it(name, async () => {
      const receiver = await startReceiver(selection);
      const { socket, keywords } = await ehloOn(receiver.port);
      expect(keywords.includes("X-ANONYMOUSTLS")).toBe(offered);
      expect(keywords).toContain("STARTTLS");
      const [decision] = receiver.ehlo;
      expect(decision?.offered).toBe(offered);
      expect(decision && ids(decision.selection)).toEqual(events);
      // Not listed means not a command either.
      const reply = await smtpCommand(socket, "X-ANONYMOUSTLS");
      expect(reply.code).toBe(offered ? 220 : 500);
      expect(receiver.errors).toEqual([]);
    });
  }

  it("I2/R5: the start-up selection logs 12012 for a null directory value", async () => {
    const receiver = await startReceiver(
      inbound("self-signed", { directory: staticDirectory(null) }),
    );
    expect(ids(receiver.startup)).toEqual([12012]);
  });

  it("each EHLO runs the selection again: a certificate removed from the store is no longer listed", async () => {
    const entries = [entry("self-signed", { withKey: true })];
    const receiver = await startReceiver(inbound("self-signed", { store: memoryStore(entries) }));
    expect((await ehloOn(receiver.port)).keywords).toContain("X-ANONYMOUSTLS");
    entries.pop();
    expect((await ehloOn(receiver.port)).keywords).not.toContain("X-ANONYMOUSTLS");
    expect(receiver.ehlo.map((d) => d.offered)).toEqual([true, false]);
  });
});

describe("X-ANONYMOUSTLS: each side sees exactly the certificate the other selected", () => {
  it("A3: CA-issued on both ends, intermediates included (receiver RSA, sender ECDSA)", async () => {
    const receiver = await startReceiver(
      inbound("leaf-rsa", {
        trustAnchors: [fixture("root-rsa").der],
        intermediates: [fixture("inter-rsa").der],
      }),
    );
    const sender = await outbound("leaf-ec", { pki: "ec" });
    expect(sender.outcome).toBe("selected");
    expect(receiver.startup).toMatchObject({
      outcome: "selected",
      thumbprint: fixture("leaf-rsa").thumbprint,
    });

    const socket = await connectTo(receiver.port);
    const result = await negotiateAnonymousTls(socket, sender, {
      ehloDomain: "edge01.contoso.com",
    });
    expect(result.used).toBe(true);
    if (!result.used) return;
    track(result.tlsSocket);
    const seen = await receiver.nextSession();

    // The sender sees the receiver's leaf and intermediate, not the trust anchor.
    expect(result.peerThumbprint).toBe(fixture("leaf-rsa").thumbprint);
    expect(result.peerChain.map((c) => c.thumbprint)).toEqual(thumbprints("leaf-rsa", "inter-rsa"));
    // The receiver sees the sender's leaf and intermediate.
    expect(seen.peerThumbprint).toBe(fixture("leaf-ec").thumbprint);
    expect(seen.peerChain.map((c) => c.thumbprint)).toEqual(thumbprints("leaf-ec", "inter-ec"));
    // …which are byte for byte the chains the two selections put on the wire.
    expect(seen.peerChain.map((c) => c.der)).toEqual(chainOf(sender));
    expect(result.peerChain.map((c) => c.der)).toEqual(chainOf(receiver.startup));
    expect(result.thumbprint).toBe(fixture("leaf-ec").thumbprint);
    expect(seen.selection.thumbprint).toBe(fixture("leaf-rsa").thumbprint);
    expect(result.protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it("self-signed on both ends (the certificates New-ExchangeCertificate makes)", async () => {
    const receiver = await startReceiver(inbound("self-signed"));
    const sender = await outbound("self-signed-newest");
    const socket = await connectTo(receiver.port);
    const result = await negotiateAnonymousTls(socket, sender, {
      ehloDomain: "edge01.contoso.com",
    });
    if (!result.used) throw new Error(`not used: ${result.reason}`);
    track(result.tlsSocket);
    const seen = await receiver.nextSession();
    expect(result.peerChain.map((c) => c.thumbprint)).toEqual(thumbprints("self-signed"));
    expect(seen.peerChain.map((c) => c.thumbprint)).toEqual(thumbprints("self-signed-newest"));
  });

  it("R7/I4: expired directory certificates on both ends still complete the handshake", async () => {
    const receiver = await startReceiver(inbound("expired"));
    expect(ids(receiver.startup)).toEqual([12015]);
    const sender = await outbound("expired");
    expect(sender.outcome).toBe("selected");
    expect(ids(sender)).toContain(12015);
    const socket = await connectTo(receiver.port);
    const result = await negotiateAnonymousTls(socket, sender, {
      ehloDomain: "edge01.contoso.com",
    });
    if (!result.used) throw new Error(`not used: ${result.reason}`);
    track(result.tlsSocket);
    const seen = await receiver.nextSession();
    expect(result.peerThumbprint).toBe(fixture("expired").thumbprint);
    expect(seen.peerThumbprint).toBe(fixture("expired").thumbprint);
  });

  it("RFC 3207 §4.2: the session goes on inside TLS, where nothing more is offered", async () => {
    const receiver = await startReceiver(inbound("self-signed"));
    const socket = await connectTo(receiver.port);
    const result = await negotiateAnonymousTls(socket, await outbound("self-signed"), {
      ehloDomain: "edge01.contoso.com",
    });
    if (!result.used) throw new Error(`not used: ${result.reason}`);
    const tlsSocket = track(result.tlsSocket);
    const ehlo = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com");
    expect(ehlo.code).toBe(250);
    const keywords = ehlo.lines.slice(1);
    expect(keywords).not.toContain("X-ANONYMOUSTLS");
    expect(keywords).not.toContain("STARTTLS");
    expect((await smtpCommand(tlsSocket, "X-ANONYMOUSTLS")).code).toBe(500);
    expect((await smtpCommand(tlsSocket, "QUIT")).code).toBe(221);
    // Only the session-time selections ran at EHLO; the one inside TLS did not run one.
    expect(receiver.ehlo).toHaveLength(1);
  });

  it("A9: a sender without its key never sends the command; the session goes on in plaintext", async () => {
    const receiver = await startReceiver(inbound("self-signed"));
    const socket = await connectTo(receiver.port);
    const result = await negotiateAnonymousTls(
      socket,
      await outbound("self-signed", { withKey: false }),
      {
        ehloDomain: "edge01.contoso.com",
      },
    );
    expect(result).toMatchObject({ used: false, reason: "no-certificate", offered: true });
    if (result.used) return;
    expect(result.cause).toMatchObject({ code: "ERR_NO_PRIVATE_KEY" });
    expect((await smtpCommand(result.socket, "QUIT")).code).toBe(221);
    expect(receiver.sessions).toEqual([]);
  });

  it("I1: against a connector without ExchangeServer the sender reports not-offered", async () => {
    const receiver = await startReceiver(
      inbound("self-signed", { receiveConnector: { authMechanism: "Tls" } }),
    );
    const socket = await connectTo(receiver.port);
    const result = await negotiateAnonymousTls(socket, await outbound("self-signed"), {
      ehloDomain: "edge01.contoso.com",
    });
    expect(result).toMatchObject({ used: false, reason: "not-offered", offered: false });
  });

  it("the command takes no argument, and is unknown before EHLO", async () => {
    const receiver = await startReceiver(inbound("self-signed"));
    const socket = await connectTo(receiver.port);
    expect((await smtpCommand(socket, null)).code).toBe(220);
    expect((await smtpCommand(socket, "X-ANONYMOUSTLS")).code).toBe(500);
    expect((await smtpCommand(socket, "EHLO edge01.contoso.com")).code).toBe(250);
    expect((await smtpCommand(socket, "X-ANONYMOUSTLS now")).code).toBe(501);
  });
});

describe("STARTTLS keeps working, with its own certificate", () => {
  it("STARTTLS presents the server's STARTTLS certificate, not the anonymous-TLS one", async () => {
    const receiver = await startReceiver(inbound("self-signed"));
    const { socket, keywords } = await ehloOn(receiver.port);
    expect(keywords).toEqual(expect.arrayContaining(["STARTTLS", "X-ANONYMOUSTLS"]));
    expect((await smtpCommand(socket, "STARTTLS")).code).toBe(220);
    const tlsSocket = await startTls(socket);
    const presented = tlsSocket.getPeerX509Certificate();
    expect(presented?.fingerprint.replaceAll(":", "")).toBe(fixture(STARTTLS_FIXTURE).thumbprint);
    const ehlo = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com");
    expect(ehlo.lines.slice(1)).not.toContain("STARTTLS");
    expect(ehlo.lines.slice(1)).not.toContain("X-ANONYMOUSTLS");
    expect((await smtpCommand(tlsSocket, "MAIL FROM:<a@contoso.com>")).code).toBe(250);
    expect((await smtpCommand(tlsSocket, "QUIT")).code).toBe(221);
    expect(receiver.sessions).toEqual([]);
  });
});
