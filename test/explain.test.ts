import { describe, expect, it } from "vitest";

import {
  explainSelection,
  selectInboundAnonymousTlsCert,
  selectInboundStartTlsCert,
  selectOutboundAnonymousTlsCert,
  selectOutboundStartTlsCert,
} from "../src/index.js";
import {
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  memoryStore,
  NOW,
  SERVER,
  staticDirectory,
  storeOf,
  throwingStore,
} from "./support/fixtures.js";
import { forgeCertificate } from "./support/forge.js";

describe("explainSelection", () => {
  it("shows the outcome, the events with their messages, and every store certificate with its rank or rule", async () => {
    const store = memoryStore([
      entry("self-signed"),
      entry("self-signed-newest"),
      entry("v1"),
      entry("evil"),
      entry("leaf-ec", { services: ["IIS"] }),
      { certificate: new Uint8Array([1, 2, 3]), hasPrivateKey: true, services: ["SMTP"] },
    ]);
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: directoryFor("self-signed"),
      store,
    });
    const text = explainSelection(selection);

    expect(text).toContain(`Certificate ${fixture("self-signed").thumbprint} is used`);
    expect(text).toContain(`the best candidate is ${fixture("self-signed-newest").thumbprint}`);
    expect(text).toContain("1037 Warning");
    expect(text).toContain("X-ANONYMOUSTLS: used");
    for (const name of ["self-signed", "self-signed-newest", "v1", "evil", "leaf-ec"]) {
      expect(text).toContain(fixture(name).thumbprint);
    }
    const line = (name: string) =>
      text.split("\n").find((l) => /^ {2}\d+ /.test(l) && l.includes(fixture(name).thumbprint))!;
    expect(line("self-signed-newest")).toMatch(/eligible, rank 1 \(best\)/);
    expect(line("self-signed")).toMatch(/\[directory, USED\].*eligible, rank 2/);
    expect(line("v1")).toContain("R10a");
    expect(line("evil")).toContain("R10c");
    expect(line("leaf-ec")).toContain("R10d");
    expect(text).toMatch(/5\s+\(not a certificate\).*unreadable \(der-malformed\)/);
    // every step is listed with its rules
    for (const step of selection.trace) expect(text).toContain(`[${step.rules.join(",")}]`);
    expect(text).not.toContain("\u001b[");
  });

  it("colours only when asked", async () => {
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: staticDirectory(null),
      store: storeOf("self-signed"),
    });
    expect(explainSelection(selection, { color: true })).toContain("\u001b[");
    expect(explainSelection(selection)).toContain("the store was not read");
  });

  it("explains the receiving side and a closed gate", async () => {
    const selection = await selectInboundAnonymousTlsCert({
      receiveConnector: { authMechanism: "Tls" },
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed"),
      now: NOW,
    });
    const text = explainSelection(selection);
    expect(text).toContain("Inbound");
    expect(text).toContain("I1 not met");
    expect(text).toContain("X-ANONYMOUSTLS: not advertised");
  });

  it("explains 12013 and still lists the store", async () => {
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: directoryFor("leaf-rsa"),
      store: storeOf("self-signed"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("No certificate: not-in-store");
    expect(text).toContain("12013 Error");
    expect(text).toContain(fixture("leaf-rsa").thumbprint);
    expect(text).toContain("not evaluated");
  });
});

// STARTTLS (S1–S11) and the 2016 edition (E1–E6): the explanation says what the peer sees on the
// wire, the name looked for and its source, and for every store certificate why it did or did
// not carry that name (S3), which S4 criterion failed, its S6 rank and trust.
describe("explainSelection: STARTTLS and the 2016 edition", () => {
  const pki = {
    server: { physicalFqdn: SERVER.physicalFqdn },
    now: NOW,
    trustAnchors: [fixture("root-rsa").der],
    intermediates: [fixture("inter-rsa").der],
  };
  /** The table row of a store certificate (its index and thumbprint start the row). */
  const row = (text: string, name: string) =>
    text.split("\n").find((l) => /^ {2}\d+ /.test(l) && l.includes(fixture(name).thumbprint)) ?? "";
  const leafRsa = fixture("leaf-rsa");
  // leaf-rsa: subject CN=mail.contoso.com, O=Contoso; issuer the RSA issuing CA.
  const RSA_ISSUER = "CN=Contoso Issuing CA (RSA), O=Contoso Test PKI";

  it("S1: a Receive connector without Tls: STARTTLS is not advertised, nothing is looked for", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      receiveConnector: { authMechanism: "ExchangeServer" },
      store: storeOf("leaf-rsa"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("Inbound STARTTLS certificate selection, 2007 edition");
    expect(text).toContain("STARTTLS is not advertised by the receiving server");
    expect(text).toContain("(S1 not met)");
    expect(text).toContain("STARTTLS: not advertised");
    expect(text).not.toContain("Name looked for");
    expect(text).not.toContain("X-ANONYMOUSTLS");
  });

  it("S2, S3, S4, S6: the Fqdn looked for, each certificate's S3 miss, S4 criterion, rank and trust", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      store: memoryStore([
        entry("leaf-rsa"),
        entry("self-signed"),
        entry("v1"),
        entry("leaf-ec", { services: ["IIS"] }),
        entry("host-name"),
      ]),
    });
    const text = explainSelection(selection);
    expect(text).toContain(
      `STARTTLS is advertised; certificate ${leafRsa.thumbprint} is presented by the receiving server: the first valid PKI certificate (S6).`,
    );
    expect(text).toContain("STARTTLS: advertised");
    expect(text).toContain(
      "Name looked for: mail.contoso.com\n  from the Receive connector's Fqdn (S2)",
    );
    expect(row(text, "leaf-rsa")).toMatch(
      /\[USED\].*valid PKI\s+eligible, rank 1 \(S6\), chosen; matched mail\.contoso\.com \(Subject CN\)/,
    );
    expect(row(text, "self-signed")).toMatch(/not checked\s+eligible, rank 2 \(S6\); matched/);
    expect(row(text, "v1")).toContain("S4 (version-1)");
    // 2007: the SMTP flag gates eligibility (E4 does not apply).
    expect(row(text, "leaf-ec")).toContain("S4 (smtp-not-enabled)");
    expect(row(text, "host-name")).toContain("S3: does not carry mail.contoso.com");
    expect(text).toContain("Events (0)");
  });

  it("S2: with no connector Fqdn the physical FQDN is looked for, and said so", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      receiveConnector: { authMechanism: "Tls" },
      store: storeOf("leaf-rsa"),
    });
    expect(explainSelection(selection)).toContain(
      `Name looked for: ${SERVER.physicalFqdn}\n  the server's physical FQDN: the Receive connector has no Fqdn (S2)`,
    );
  });

  it("E3, S3: a TlsCertificateName whose subject differs shows the wanted and the certificate's names, part by part", async () => {
    const wanted = `<I>${RSA_ISSUER}<S>CN=mail.contoso.com, O=Contoso Ltd`;
    const selection = await selectInboundStartTlsCert({
      ...pki,
      edition: "2016",
      receiveConnector: {
        authMechanism: "Tls",
        tlsCertificateName: wanted,
        name: "EX01\\Frontend",
      },
      store: storeOf("leaf-rsa", "self-signed"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("2016 edition (Exchange 2016, 2019, SE)");
    expect(text).toContain(
      "STARTTLS is not advertised in the EHLO response: no store certificate has the TlsCertificateName's issuer and subject (S3, E3); 12014 is logged.",
    );
    expect(text).toContain(
      `Name looked for: ${wanted}\n  from the Receive connector's TlsCertificateName (S2, E3)`,
    );
    // E6: 12014 is an Error in the 2016 edition.
    expect(text).toContain("12014 Error CannotLoadSTARTTLSCertificateFromStore (S3)");
    expect(row(text, "leaf-rsa")).toContain("S3: its subject is not the TlsCertificateName's (E3");
    expect(row(text, "self-signed")).toContain("S3: its issuer and subject are not");
    const section = text.slice(text.indexOf("Issuer and subject against the TlsCertificateName"));
    expect(section).toContain(
      `wanted  issuer  ${RSA_ISSUER}\n          subject CN=mail.contoso.com, O=Contoso Ltd`,
    );
    expect(section).toContain(
      `#0 ${leafRsa.thumbprint}\n          issuer  ${RSA_ISSUER}  [same]\n          subject CN=mail.contoso.com, O=Contoso  [DIFFERS]`,
    );
  });

  it("colour marks DIFFERS and the STARTTLS line only when asked", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      edition: "2016",
      receiveConnector: {
        authMechanism: "Tls",
        tlsCertificateName: `<I>${RSA_ISSUER}<S>CN=mail.contoso.com, O=Fabrikam`,
      },
      store: storeOf("leaf-rsa"),
    });
    expect(explainSelection(selection, { color: true })).toContain("\u001b[31mDIFFERS\u001b[0m");
    expect(explainSelection(selection, { color: true })).toContain(
      "STARTTLS: \u001b[31mnot advertised\u001b[0m",
    );
    expect(explainSelection(selection)).not.toContain("\u001b[");
  });

  it("E3: a TlsCertificateName written in another case and spacing still matches, and the match is said", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      edition: "2016",
      receiveConnector: {
        authMechanism: "Tls",
        tlsCertificateName:
          "<I>cn=contoso issuing ca (rsa),o=CONTOSO TEST PKI<S>cn=MAIL.contoso.com, o=contoso",
      },
      store: storeOf("leaf-rsa"),
    });
    const text = explainSelection(selection);
    expect(selection.outcome).toBe("selected");
    expect(row(text, "leaf-rsa")).toContain("issuer and subject match (E3)");
    expect(text).toMatch(/#0 [0-9A-F]{40}\n {10}issuer {2}.*\[same\]\n {10}subject .*\[same\]/);
  });

  it("E3: a renewal whose issuer alone differs gets its own TlsCertificateName, quoted as Windows writes it, and that name selects it", async () => {
    // Subject O="Contoso, Ltd" (a comma: Windows quotes it) and ST (Windows: S=).
    const der = await forgeCertificate({
      serial: 0x5e1,
      subject: [
        ["C", "US"],
        ["ST", "WA"],
        ["O", "Contoso, Ltd"],
        ["CN", "mail.contoso.com"],
      ],
      issuer: [["CN", "Contoso Renewal CA"]],
      notBefore: new Date(NOW.getTime() - 86_400_000),
      notAfter: new Date(NOW.getTime() + 400 * 86_400_000),
      key: "rsa-3",
      signer: "rsa-2",
      san: ["mail.contoso.com"],
    });
    const store = memoryStore([{ certificate: der, hasPrivateKey: true, services: ["SMTP"] }]);
    const old = '<I>CN=Contoso Old CA<S>CN=mail.contoso.com, O="Contoso, Ltd", S=WA, C=US';
    const before = await selectInboundStartTlsCert({
      ...pki,
      edition: "2016",
      receiveConnector: { authMechanism: "Tls", tlsCertificateName: old },
      store,
    });
    const text = explainSelection(before);
    expect(text).toContain("S3: its issuer is not the TlsCertificateName's");
    // Shown as Windows writes it (quotes, S=), like the setting it is compared with.
    expect(text).toContain('subject CN=mail.contoso.com, O="Contoso, Ltd", S=WA, C=US  [same]');
    const printed = /its TlsCertificateName: (.*)/.exec(text)?.[1];
    expect(printed).toBe(
      '<I>CN=Contoso Renewal CA<S>CN=mail.contoso.com, O="Contoso, Ltd", S=WA, C=US',
    );
    const after = await selectInboundStartTlsCert({
      ...pki,
      edition: "2016",
      receiveConnector: { authMechanism: "Tls", tlsCertificateName: printed! },
      store,
    });
    // The printed name finds it (S3, E3): it is now eligible and ranked. Its issuer is not a
    // trust anchor and it is not self-signed, so S7 still leaves nothing usable.
    const verdict = after.certificates[0]!;
    expect(verdict.status === "eligible" && verdict.match.source).toBe("tls-certificate-name");
    expect(after.outcome === "no-certificate" && after.reason).toBe("no-usable-certificate");
  });

  it("E3: a certificate with an empty subject gets no TlsCertificateName of its own (an empty name has none)", async () => {
    const der = await forgeCertificate({
      serial: 0x5e2,
      subject: [],
      issuer: [["CN", "Contoso Renewal CA"]],
      notBefore: new Date(NOW.getTime() - 86_400_000),
      notAfter: new Date(NOW.getTime() + 400 * 86_400_000),
      key: "rsa-3",
      signer: "rsa-2",
      san: ["mail.contoso.com"],
    });
    const selection = await selectInboundStartTlsCert({
      ...pki,
      edition: "2016",
      receiveConnector: {
        authMechanism: "Tls",
        tlsCertificateName: "<I>CN=Contoso Renewal CA<S>CN=mail.contoso.com",
      },
      store: memoryStore([{ certificate: der, hasPrivateKey: true, services: ["SMTP"] }]),
    });
    const text = explainSelection(selection);
    expect(text).toContain("S3: its subject is not the TlsCertificateName's");
    expect(text).toContain("issuer  CN=Contoso Renewal CA  [same]");
    expect(text).not.toContain("its TlsCertificateName:");
  });

  it("E4: in 2016 a chosen certificate without SMTP is marked, in the headline and in its row", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      edition: "2016",
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      store: memoryStore([entry("leaf-rsa", { services: ["IIS"] })]),
    });
    const text = explainSelection(selection);
    expect(text).toContain(
      "SMTP is not enabled on it: the 2016 edition still chooses it (E4), and TLS fails later on a real server",
    );
    expect(row(text, "leaf-rsa")).toContain("SMTP not enabled (E4");
  });

  it("S5, S7: no eligible certificate, no usable one: the reason names the rule", async () => {
    const none = await selectInboundStartTlsCert({
      ...pki,
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      store: storeOf("v1"),
    });
    expect(explainSelection(none)).toContain(
      "certificates carry mail.contoso.com, but none of them is eligible (S4, S5)",
    );
    const unusable = await selectInboundStartTlsCert({
      ...pki,
      trustAnchors: [],
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      store: storeOf("leaf-rsa"),
    });
    const text = explainSelection(unusable);
    expect(text).toContain("none is valid PKI or self-signed (S6, S7)");
    expect(row(text, "leaf-rsa")).toMatch(/neither \(no-trust-anchors\)\s+eligible, rank 1/);
  });

  it("S8: an expired chosen certificate is still presented, with 12016", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      store: storeOf("expired"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("it has expired: 12016 is logged, and it is still used (S8)");
    expect(text).toContain("STARTTLS: advertised");
    expect(text).toContain("12016 Error STARTTLSCertificateExpired (S8)");
  });

  it("A22: a chosen certificate not yet valid is still presented, and the headline says so", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      store: storeOf("not-yet-valid"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("it is not yet valid: it is still used (A22");
    expect(text).toContain("STARTTLS: advertised");
  });

  it("S3: a store that cannot be listed says why in the headline", async () => {
    const selection = await selectInboundStartTlsCert({
      ...pki,
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      store: throwingStore(),
    });
    expect(explainSelection(selection)).toContain(
      "the certificate store cannot be read: access denied to LocalMachine\\My (S3)",
    );
  });

  it("S10: the sender with no certificate still negotiates STARTTLS, without a client certificate", async () => {
    const selection = await selectOutboundStartTlsCert({
      ...pki,
      sendConnector: { fqdn: "relay.fabrikam.com" },
      store: storeOf("leaf-rsa"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("Outbound STARTTLS certificate selection, 2007 edition");
    expect(text).toContain("STARTTLS is still negotiated, without a client certificate (S10)");
    expect(text).toContain("STARTTLS: negotiated, without a client certificate");
    expect(text).toContain("from the Send connector's Fqdn (S10)");
    // E6: Exchange 2007 logs 12014 as a Warning.
    expect(text).toContain("12014 Warning");
  });

  it("S10: the sender's chosen certificate is its client certificate", async () => {
    const selection = await selectOutboundStartTlsCert({
      ...pki,
      sendConnector: { fqdn: "mail.contoso.com" },
      store: storeOf("leaf-rsa"),
    });
    expect(explainSelection(selection)).toContain(
      `STARTTLS is negotiated with certificate ${leafRsa.thumbprint} as the sending server's client certificate`,
    );
  });

  it("S11: a Send connector's TlsCertificateName that finds nothing fails the session with the 454 reply", async () => {
    const selection = await selectOutboundStartTlsCert({
      ...pki,
      edition: "2016",
      sendConnector: { tlsCertificateName: "<I>CN=Old CA<S>CN=mail.contoso.com" },
      store: storeOf("leaf-rsa"),
    });
    const text = explainSelection(selection);
    expect(text).toContain(
      'The session fails with "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found." (S11)',
    );
    expect(text).toContain("STARTTLS: not negotiated (454 4.7.5");
    expect(text).toContain(`#0 ${leafRsa.thumbprint}\n          issuer  ${RSA_ISSUER}  [DIFFERS]`);
  });

  it("E2: the 2016 outbound anonymous process ends after the expiry check, and says so", async () => {
    const selection = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      edition: "2016",
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "self-signed-newest"),
    });
    const text = explainSelection(selection);
    expect(text).toContain("Outbound anonymous TLS certificate selection, 2016 edition");
    expect(text).toContain("the 2016 edition ends after the expiry check (E2)");
    expect(text).not.toContain("best candidate is");
  });
});
