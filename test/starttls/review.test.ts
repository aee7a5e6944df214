// Cases from the review of the STARTTLS selections: what a not-yet-valid choice reports (A22),
// which rules the ranking cites (S6, S7), S11's own step, the checks of server.physicalFqdn (S2)
// and of A1's option in the 2016 edition (E2), and the Windows form of names (E3).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesTlsCertificateName, windowsName } from "../../src/exchange/tls-certificate-name.js";
import {
  parseTlsCertificateName,
  type StoreEntry,
  selectInboundStartTlsCert,
  selectOutboundAnonymousTlsCert,
  selectOutboundStartTlsCert,
} from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { days, intermediate, leaf, NOW, root } from "../support/chains.js";
import { directoryFor, entry, fixture, memoryStore, SERVER } from "../support/fixtures.js";
import { forgeCertificate, type NameSpec } from "../support/forge.js";

const FIXTURE_NOW = new Date("2025-06-15T12:00:00.000Z");
const storeEntry = (der: Uint8Array): StoreEntry => ({
  certificate: der,
  hasPrivateKey: true,
  services: ["SMTP"],
});

describe("A22: a chosen certificate that is not yet valid", () => {
  it("is still chosen by S6 (newest Valid from), but the expiry step warns and the result says so", async () => {
    const ROOT = { name: "NYV Root", key: "rsa-1" } as const;
    const CA = { name: "NYV CA", key: "p256-1" } as const;
    const HOST = { name: "mail.contoso.com", key: "p256-2" } as const;
    const anchor = await root(ROOT);
    const ca = await intermediate(CA, ROOT);
    const current = await leaf(HOST, CA, { notBefore: days(-100), notAfter: days(300) });
    const renewed = await leaf(HOST, CA, { notBefore: days(5), notAfter: days(400) });
    const result = await selectInboundStartTlsCert({
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      server: { physicalFqdn: "edge01.contoso.com" },
      store: { list: () => [storeEntry(current.der), storeEntry(renewed.der)] },
      trustAnchors: [anchor.der],
      intermediates: [ca.der],
      now: NOW,
    });
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: renewed.thumbprint,
      basis: "pki",
      expired: false,
      notYetValid: true,
    });
    expect(result.events).toEqual([]);
    const expiry = result.trace.find((s) => s.step === "expiry");
    expect(expiry).toMatchObject({ status: "warning", rules: ["S8"], data: { notYetValid: true } });
  });
});

describe("the ranking's rules (S6, S7)", () => {
  it("a self-signed choice cites S6 only; nothing usable cites S7 and fails the step", async () => {
    const base = {
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      server: SERVER,
      now: FIXTURE_NOW,
    };
    const selfSigned = await selectInboundStartTlsCert({
      ...base,
      store: memoryStore([entry("self-signed-newest")]),
    });
    expect(selfSigned.trace.find((s) => s.step === "ranking")).toMatchObject({
      rules: ["S6"],
      status: "passed",
    });
    const nothing = await selectInboundStartTlsCert({
      ...base,
      store: memoryStore([entry("leaf-untrusted")]),
    });
    expect(nothing.trace.find((s) => s.step === "ranking")).toMatchObject({
      rules: ["S6", "S7"],
      status: "failed",
    });
  });

  it("the anonymous ranking keeps citing R11–R13 and never fails (1037 reports it, A8)", async () => {
    const result = await selectOutboundAnonymousTlsCert({
      role: "EdgeTransport",
      sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["--"] },
      server: SERVER,
      directory: directoryFor("leaf-untrusted"),
      store: memoryStore([entry("leaf-untrusted")]),
      now: FIXTURE_NOW,
    });
    expect(result.trace.find((s) => s.step === "ranking")).toMatchObject({
      rules: ["R11", "R12", "R13"],
      status: "passed",
    });
  });
});

describe("S11 has its own step", () => {
  it("the failed session is the last step, named session-fails", async () => {
    const result = await selectOutboundStartTlsCert({
      edition: "2016",
      sendConnector: {
        tlsCertificateName: "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com",
      },
      server: SERVER,
      store: memoryStore([entry("leaf-rsa")]),
      now: FIXTURE_NOW,
    });
    expect(result.trace.map((s) => s.step)).toEqual([
      "certificate-name",
      "store-search",
      "session-fails",
    ]);
  });
});

describe("checked settings", () => {
  it("S2: server.physicalFqdn must be a host name when it is the name looked for", async () => {
    const store = memoryStore([entry("leaf-rsa")]);
    await expect(
      selectInboundStartTlsCert({
        receiveConnector: { authMechanism: "Tls" },
        server: { physicalFqdn: "" },
        store,
      }),
    ).rejects.toMatchObject({ code: "ERR_INVALID_FQDN", field: "server.physicalFqdn" });
    expect(store.calls).toBe(0);
    // Not read when the connector names the certificate.
    const result = await selectInboundStartTlsCert({
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      server: { physicalFqdn: "" },
      store,
      now: FIXTURE_NOW,
      trustAnchors: [fixture("root-rsa").pem],
      intermediates: [fixture("inter-rsa").pem],
    });
    expect(result.outcome).toBe("selected");
  });

  it("E2: asking for the best candidate (A1's option) in 2016 is misuse: there is no ranking", async () => {
    await expect(
      selectOutboundAnonymousTlsCert({
        edition: "2016",
        role: "Mailbox",
        deliveryType: "SmtpRelayWithinAdSiteToEdge",
        sendConnector: { smartHostAuthMechanism: "None", addressSpaces: [] },
        server: SERVER,
        directory: directoryFor("leaf-rsa"),
        store: memoryStore([entry("leaf-rsa")]),
        onThumbprintMismatch: "use-best-candidate",
      }),
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe("E3: names as Windows prints them", () => {
  it("fixtures: the form PowerShell shows", () => {
    const leafRsa = parseCertificate(fixture("leaf-rsa").der);
    expect(windowsName(leafRsa.subject)).toBe("CN=mail.contoso.com, O=Contoso");
    expect(windowsName(leafRsa.issuer)).toBe("CN=Contoso Issuing CA (RSA), O=Contoso Test PKI");
  });

  const value = fc.oneof(
    fc.constantFrom(
      "Contoso, Ltd",
      'say "hi"',
      " leading",
      "trailing ",
      "a+b",
      "x=y",
      "#1 Relay",
      "<mail>",
      "semi;colon",
      "back\\slash",
      "Ωmega",
    ),
    fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\u0000-\u001f]/.test(s)),
  );
  const nameSpec = fc.array(fc.tuple(fc.constantFrom("CN", "O", "OU", "L", "ST", "C"), value), {
    minLength: 1,
    maxLength: 4,
  });

  it("any subject and issuer, printed the Windows way and parsed back, match the certificate", async () => {
    await fc.assert(
      fc.asyncProperty(nameSpec, nameSpec, async (subject, issuer) => {
        const spec = (pairs: [string, string][]): NameSpec =>
          pairs.map(([type, text]) => [type, type === "C" ? "US" : text, "utf8"] as const);
        const der = await forgeCertificate({
          subject: spec(subject),
          issuer: spec(issuer),
          key: "p256-1",
          signer: "p256-2",
          notBefore: days(-1),
          notAfter: days(1),
        });
        const certificate = parseCertificate(der);
        const text = `<I>${windowsName(certificate.issuer)}<S>${windowsName(certificate.subject)}`;
        expect(matchesTlsCertificateName(parseTlsCertificateName(text), certificate)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe("E3 with a value that starts with '#'", () => {
  it("a string value is compared without regard to case, like any other", async () => {
    const der = await forgeCertificate({
      subject: [["CN", "#1 Relay"]],
      issuer: [["CN", "#1 Relay CA"]],
      key: "p256-1",
      signer: "p256-2",
      notBefore: days(-1),
      notAfter: days(1),
    });
    const certificate = parseCertificate(der);
    expect(
      matchesTlsCertificateName(
        parseTlsCertificateName('<I>CN="#1 relay ca"<S>CN="#1 RELAY"'),
        certificate,
      ),
    ).toBe(true);
  });
});

describe("S11 is cited for a Send connector's TlsCertificateName", () => {
  it("the name step cites S11 and E3 (an Fqdn is S10's)", async () => {
    const run = (sendConnector: { fqdn?: string; tlsCertificateName?: string }) =>
      selectOutboundStartTlsCert({
        edition: "2016",
        sendConnector,
        server: SERVER,
        store: memoryStore([]),
        now: FIXTURE_NOW,
      });
    const named = await run({ tlsCertificateName: "<I>CN=R3<S>CN=mail.contoso.com" });
    expect(named.trace[0]).toMatchObject({ step: "certificate-name", rules: ["S11", "E3"] });
    const fqdn = await run({ fqdn: "mail.contoso.com" });
    expect(fqdn.trace[0]).toMatchObject({ step: "certificate-name", rules: ["S10"] });
  });

  it("a mismatch says which part differs, in the message and in `differs` (E3)", async () => {
    const result = await selectInboundStartTlsCert({
      edition: "2016",
      receiveConnector: {
        authMechanism: "Tls",
        tlsCertificateName:
          "<I>CN=Contoso Issuing CA (RSA), O=Contoso Test PKI<S>CN=mail.contoso.com",
      },
      server: SERVER,
      store: memoryStore([entry("leaf-rsa")]),
      now: FIXTURE_NOW,
    });
    expect(result.certificates[0]).toMatchObject({
      status: "excluded",
      exclusion: {
        differs: ["subject"],
        message: "its subject is not the TlsCertificateName's (E3)",
      },
    });
  });
});
