// Both ends of an anonymous-TLS SMTP session on 127.0.0.1, written as a user of the package
// writes them (its two entry points, nothing else of this repository): the receiver
// (`exchange-anonymous-tls/smtp-server`: inbound selection I1–I4, STARTTLS by S1–S9) and the
// sender (negotiateAnonymousTls after the outbound selection R1–R15), each with a CA-issued
// certificate, so the intermediates travel too. Prints what each side selected and what it saw
// of the other. Run: npm run example:anonymous-tls
//
// Everything it needs is in ./certs, as plain files: each server's store is a folder (the
// certificate with its key beside it, `name.pem` + `name.key`), and ca/ holds the two test PKIs'
// roots and issuing CAs. The certificates are valid until 2056, so the selections use the clock.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

import {
  createFolderStore,
  type Directory,
  negotiateAnonymousTls,
  type Selection,
  selectOutboundAnonymousTlsCert,
  smtpCommand,
} from "exchange-anonymous-tls";
import {
  type AnonymousTlsSession,
  createAnonymousTlsServer,
} from "exchange-anonymous-tls/smtp-server";

const certs = (path: string) => fileURLToPath(new URL(`./certs/${path}`, import.meta.url));
const pem = (path: string) => readFileSync(certs(path), "utf8");
/** What Exchange calls a thumbprint: the SHA-1 of the certificate, upper-case hex. */
const thumbprintOf = (text: string) => new X509Certificate(text).fingerprint.replaceAll(":", "");

// Names for the thumbprints this demo prints.
const names = new Map<string, string>();
for (const [name, path] of [
  ["hub01", "hub01/hub01.pem"],
  ["edge01", "edge01/edge01.pem"],
  ["inter-rsa", "ca/inter-rsa.pem"],
  ["inter-ec", "ca/inter-ec.pem"],
] as const) {
  names.set(thumbprintOf(pem(path)), name);
}
const label = (thumbprint: string | null) =>
  thumbprint === null ? "(none)" : `${thumbprint} (${names.get(thumbprint) ?? "unknown"})`;

function describeSelection(selection: Selection): string {
  if (selection.outcome !== "selected") return `${selection.outcome}`;
  const chain = selection.chain
    .map((der) => names.get(new X509Certificate(der).fingerprint.replaceAll(":", "")) ?? "?")
    .join(" → ");
  const events = selection.events.map((e) => e.id).join(", ") || "none";
  return `${label(selection.thumbprint)}, sends ${chain}, events: ${events}`;
}

/** The directory's msExchServerInternalTLSCert (I2, R3): here, the thumbprint of a file. */
const directoryNaming = (path: string): Directory => ({
  readInternalTransportCertificate: async () => thumbprintOf(pem(path)),
});

// The receiving Hub: its store is certs/hub01 (hub01: root-rsa → inter-rsa → hub01), and its
// directory names that certificate. Its Receive connector's Fqdn is mail.contoso.com, which
// hub01 carries: STARTTLS presents it too (S2, S6).
let received: AnonymousTlsSession | undefined;
const receiver = await createAnonymousTlsServer({
  selection: {
    receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: "mail.contoso.com" },
    directory: directoryNaming("hub01/hub01.pem"),
    store: createFolderStore(certs("hub01")),
    trustAnchors: [pem("ca/root-rsa.pem")],
    intermediates: [pem("ca/inter-rsa.pem")],
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

// The sending Edge: its store is certs/edge01 (edge01: root-ec → inter-ec → edge01).
const edge = {
  fqdn: "mail.contoso.com",
  hostName: "EDGE01",
  physicalFqdn: "edge01.contoso.com",
  physicalHostName: "EDGE01",
};
const outbound = await selectOutboundAnonymousTlsCert({
  role: "EdgeTransport",
  sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
  server: edge,
  directory: directoryNaming("edge01/edge01.pem"),
  store: createFolderStore(certs("edge01")),
  trustAnchors: [pem("ca/root-ec.pem")],
  intermediates: [pem("ca/inter-ec.pem")],
});
console.log(`sender    selected ${describeSelection(outbound)}`);

const socket = connect(address.port, "127.0.0.1");
try {
  const result = await negotiateAnonymousTls(socket, outbound, {
    ehloDomain: edge.physicalFqdn,
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
    const again = await smtpCommand(result.tlsSocket, `EHLO ${edge.physicalFqdn}`);
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
