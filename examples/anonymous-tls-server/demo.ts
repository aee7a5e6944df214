// Both ends of an anonymous-TLS SMTP session on 127.0.0.1: the receiver (server.ts, inbound
// selection I1–I4; STARTTLS by the inbound STARTTLS selection S1–S9) and the sender (negotiateAnonymousTls, outbound selection R1–R15), each with a
// CA-issued certificate, so the intermediates travel too. Prints what each side selected and what
// it saw of the other. Run: npx tsx examples/anonymous-tls-server/demo.ts
//
// The certificates and keys are the repository's committed test fixtures; their validity windows
// sit around the fixtures' fixed time (2025-06-15T12:00Z), so both selections are evaluated then
// (A4: `now` is a parameter). TLS itself does not check dates here (direct trust, R7/I4).
import { connect } from "node:net";
import {
  type AnonymousTlsSession,
  createAnonymousTlsServer,
} from "../../src/adapters/smtp-server/index.js";
import { negotiateAnonymousTls, smtpCommand } from "../../src/adapters/tls.js";
import { type Selection, selectOutboundAnonymousTlsCert, thumbprintOf } from "../../src/index.js";
import {
  entry,
  fixture,
  memoryStore,
  NOW,
  SERVER,
  staticDirectory,
} from "../../test/support/fixtures.js";

const names = new Map<string, string>();
for (const name of ["leaf-rsa", "inter-rsa", "leaf-ec", "inter-ec", "self-signed-old"]) {
  names.set(fixture(name).thumbprint, name);
}
const label = (thumbprint: string | null) =>
  thumbprint === null ? "(none)" : `${thumbprint} (${names.get(thumbprint) ?? "unknown"})`;

function describeSelection(selection: Selection): string {
  if (selection.outcome !== "selected") return `${selection.outcome}`;
  const chain = selection.chain.map((der) => names.get(thumbprintOf(der)) ?? "?").join(" → ");
  const events = selection.events.map((e) => e.id).join(", ") || "none";
  return `${label(selection.thumbprint)}, sends ${chain}, events: ${events}`;
}

// The receiving Hub: its directory names leaf-rsa (root-rsa → inter-rsa → leaf-rsa). Its Receive
// connector's Fqdn is mail.contoso.com, which leaf-rsa carries: STARTTLS presents it too (S2, S6).
let received: AnonymousTlsSession | undefined;
const receiver = await createAnonymousTlsServer({
  selection: {
    receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: "mail.contoso.com" },
    directory: staticDirectory(fixture("leaf-rsa").thumbprint),
    store: memoryStore([entry("leaf-rsa", { withKey: true })]),
    trustAnchors: [fixture("root-rsa").der],
    intermediates: [fixture("inter-rsa").der],
    now: NOW,
  },
  smtp: { name: "hub01.contoso.com" },
  onAnonymousTls: (session) => {
    received = session;
  },
});
const address = await receiver.listen(0, "127.0.0.1");
console.log(`receiver  listening on 127.0.0.1:${address.port}`);
console.log(`receiver  selected ${describeSelection(receiver.startup)}`);
if (receiver.startupStartTls !== null) {
  console.log(`receiver  STARTTLS ${describeSelection(receiver.startupStartTls)}`);
}

// The sending Edge: its directory names leaf-ec (root-ec → inter-ec → leaf-ec).
const outbound = await selectOutboundAnonymousTlsCert({
  role: "EdgeTransport",
  sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
  server: SERVER,
  directory: staticDirectory(fixture("leaf-ec").thumbprint),
  store: memoryStore([entry("leaf-ec", { withKey: true })]),
  trustAnchors: [fixture("root-ec").der],
  intermediates: [fixture("inter-ec").der],
  now: NOW,
});
console.log(`sender    selected ${describeSelection(outbound)}`);

const socket = connect(address.port, "127.0.0.1");
try {
  const result = await negotiateAnonymousTls(socket, outbound, {
    ehloDomain: SERVER.physicalFqdn,
    timeout: 10_000,
  });
  console.log(`sender    EHLO keywords: ${[...(result.ehlo?.keywords.keys() ?? [])].join(" ")}`);
  if (!result.used) {
    console.log(`sender    anonymous TLS not used: ${result.reason} (${result.detail})`);
    await smtpCommand(result.socket, "QUIT");
    result.socket.destroy();
  } else {
    const peer = result.peerChain.map((c) => label(c.thumbprint)).join(" → ");
    console.log(`sender    X-ANONYMOUSTLS → 220, ${result.protocol}; receiver presented ${peer}`);
    const expected = receiver.startup.outcome === "selected" ? receiver.startup.thumbprint : null;
    console.log(
      `sender    receiver's certificate is its selected one: ${result.peerThumbprint === expected}`,
    );
    // RFC 3207 §4.2: EHLO again inside TLS; neither STARTTLS nor X-ANONYMOUSTLS is offered now.
    const again = await smtpCommand(result.tlsSocket, `EHLO ${SERVER.physicalFqdn}`);
    console.log(`sender    EHLO inside TLS: ${again.code} ${again.lines.slice(1).join(" ")}`);
    await smtpCommand(result.tlsSocket, "QUIT");
    result.tlsSocket.destroy();
    if (received !== undefined) {
      const chain = received.peerChain.map((c) => label(c.thumbprint)).join(" → ");
      console.log(`receiver  sender presented ${chain}`);
      const sent = outbound.outcome === "selected" ? outbound.thumbprint : null;
      console.log(
        `receiver  sender's certificate is its selected one: ${received.peerThumbprint === sent}`,
      );
    }
  }
} finally {
  socket.destroy();
  await receiver.close();
}
