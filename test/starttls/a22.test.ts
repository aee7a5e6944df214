// A22: in S6 "valid PKI" judges the chain (signatures, the CA certificates' dates, constraints,
// revocation), not the candidate's own validity period, which S8 reports (12016). Newest Valid
// from still orders the list, expired or not. Forged chains: only the leaf's dates vary.
import { describe, expect, it } from "vitest";

import { type StoreEntry, selectInboundStartTlsCert } from "../../src/index.js";
import { days, intermediate, leaf, NOW, root } from "../support/chains.js";

const ROOT = { name: "A22 Root", key: "rsa-1" } as const;
const CA = { name: "A22 Issuing CA", key: "p256-1" } as const;
const HOST = { name: "mail.contoso.com", key: "p256-2" } as const;

async function pki() {
  return {
    root: await root(ROOT),
    ca: await intermediate(CA, ROOT),
    expiredCa: await intermediate(CA, ROOT, { notBefore: days(-400), notAfter: days(-2) }),
    // Short-lived and already expired, but the newest by Valid from.
    expiredLeaf: await leaf(HOST, CA, { notBefore: days(-10), notAfter: days(-1) }),
    currentLeaf: await leaf(HOST, CA, { notBefore: days(-100), notAfter: days(300) }),
  };
}

const storeEntry = (der: Uint8Array): StoreEntry => ({
  certificate: der,
  hasPrivateKey: true,
  services: ["SMTP"],
});

describe("A22: the STARTTLS ranking judges the chain, S8 the candidate's own dates", () => {
  it("an expired CA-issued leaf on a valid chain is valid PKI, chosen by newest Valid from, with 12016", async () => {
    const { root: anchor, ca, expiredLeaf, currentLeaf } = await pki();
    const result = await selectInboundStartTlsCert({
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      server: { physicalFqdn: "edge01.contoso.com" },
      store: { list: () => [storeEntry(currentLeaf.der), storeEntry(expiredLeaf.der)] },
      trustAnchors: [anchor.der],
      intermediates: [ca.der],
      now: NOW,
    });
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: expiredLeaf.thumbprint,
      basis: "pki",
      expired: true,
    });
    expect(result.events.map((e) => e.id)).toEqual([12016]);
    const verdict = result.certificates.find((c) => c.thumbprint === expiredLeaf.thumbprint);
    expect(verdict).toMatchObject({ status: "eligible", rank: 1, time: "expired" });
    expect(verdict?.status === "eligible" ? verdict.trust?.kind : null).toBe("pki");
  });

  it("the anonymous ranking keeps judging the leaf's own dates (R12, A3): A22 is STARTTLS only", async () => {
    const { root: anchor, ca, expiredLeaf } = await pki();
    const { selectOutboundAnonymousTlsCert } = await import("../../src/index.js");
    const result = await selectOutboundAnonymousTlsCert({
      role: "EdgeTransport",
      sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["--"] },
      server: {
        fqdn: "mail.contoso.com",
        hostName: "EDGE01",
        physicalFqdn: "edge01.contoso.com",
        physicalHostName: "EDGE01",
      },
      directory: { readInternalTransportCertificate: async () => expiredLeaf.thumbprint },
      store: { list: () => [storeEntry(expiredLeaf.der)] },
      trustAnchors: [anchor.der],
      intermediates: [ca.der],
      now: NOW,
    });
    const verdict = result.certificates[0];
    expect(verdict?.status === "eligible" ? verdict.trust : null).toMatchObject({
      kind: "untrusted",
      code: "expired",
    });
  });

  it("an expired CA still makes the chain invalid: the leaf is not valid PKI (S7)", async () => {
    const { root: anchor, expiredCa, currentLeaf } = await pki();
    const result = await selectInboundStartTlsCert({
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      server: { physicalFqdn: "edge01.contoso.com" },
      store: { list: () => [storeEntry(currentLeaf.der)] },
      trustAnchors: [anchor.der],
      intermediates: [expiredCa.der],
      now: NOW,
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "no-usable-certificate" });
  });
});
