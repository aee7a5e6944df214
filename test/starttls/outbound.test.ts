// Outbound STARTTLS (S10, S11): the sending server runs S2–S8 with its Send connector's Fqdn and
// offers the certificate as its client certificate; with none it still negotiates STARTTLS
// (12014). In the 2016 edition a TlsCertificateName that resolves to nothing fails the session.
import { describe, expect, it } from "vitest";

import {
  type OutboundStartTlsSelection,
  type OutboundStartTlsSelectionOptions,
  type StoreEntry,
  selectOutboundStartTlsCert,
  TLS_CERTIFICATE_NAME_NOT_FOUND_REPLY,
} from "../../src/index.js";
import { entry, fixture, memoryStore, NOW, SERVER } from "../support/fixtures.js";

const PKI = {
  trustAnchors: [fixture("root-rsa").pem],
  intermediates: [fixture("inter-rsa").pem],
};
const LEAF_RSA_NAME =
  "<I>CN=Contoso Issuing CA (RSA), O=Contoso Test PKI<S>CN=mail.contoso.com, O=Contoso";

function select(
  entries: readonly StoreEntry[],
  overrides: Partial<OutboundStartTlsSelectionOptions> = {},
): Promise<OutboundStartTlsSelection> {
  return selectOutboundStartTlsCert({
    sendConnector: { fqdn: "mail.contoso.com", name: "Internet" },
    server: SERVER,
    store: memoryStore(entries),
    now: NOW,
    ...PKI,
    ...overrides,
  });
}

describe("S10: the sender runs S2–S8 with its Send connector's Fqdn", () => {
  it("there is no gate: the certificate is chosen as the receiving side would (S6)", async () => {
    const result = await select([entry("self-signed-newest"), entry("leaf-rsa")]);
    expect(result).toMatchObject({
      process: "starttls",
      direction: "outbound",
      outcome: "selected",
      negotiateStartTls: true,
      thumbprint: fixture("leaf-rsa").thumbprint,
      basis: "pki",
      lookedFor: { name: "mail.contoso.com", source: "connector-fqdn" },
    });
    expect(result.trace.map((s) => s.step)).toEqual([
      "certificate-name",
      "store-search",
      "eligibility",
      "ranking",
      "expiry",
    ]);
    expect(result.trace[0]?.rules).toEqual(["S10"]);
  });

  it("without a certificate, STARTTLS is still negotiated (no client certificate) and 12014 is logged", async () => {
    const result = await select([entry("physical-fqdn")]);
    expect(result).toMatchObject({
      outcome: "no-certificate",
      negotiateStartTls: true,
      reason: "no-matching-certificate",
    });
    expect(result.events.map((e) => [e.id, e.rule])).toEqual([[12014, "S3"]]);
    expect(result.events[0]?.message).toContain(
      "for the connector Internet with a FQDN parameter of mail.contoso.com",
    );
  });

  it("no Fqdn: the physical FQDN (S2)", async () => {
    const result = await select([entry("leaf-ec"), entry("physical-fqdn")], {
      sendConnector: {},
    });
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: fixture("physical-fqdn").thumbprint,
      lookedFor: { source: "physical-fqdn", name: "edge01.contoso.com" },
    });
  });

  it("an expired chosen certificate is still offered, with 12016 (S8)", async () => {
    const result = await select([entry("expired")]);
    expect(result).toMatchObject({ outcome: "selected", expired: true });
    expect(result.events.map((e) => e.id)).toEqual([12016]);
  });
});

describe("S11 (2016 edition): a Send connector's TlsCertificateName", () => {
  it("is resolved as in E3, before the Fqdn", async () => {
    const result = await select([entry("leaf-ec"), entry("leaf-rsa")], {
      edition: "2016",
      sendConnector: { fqdn: "edge01.contoso.com", tlsCertificateName: LEAF_RSA_NAME },
    });
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: fixture("leaf-rsa").thumbprint,
      lookedFor: { source: "tlsCertificateName", name: LEAF_RSA_NAME },
    });
  });

  it("resolving to no usable certificate fails the session with 454 4.7.5", async () => {
    for (const entries of [
      [entry("leaf-rsa-older")], // no certificate has the names (S3)
      [entry("leaf-rsa", { hasPrivateKey: false })], // none eligible (S5)
    ]) {
      const result = await select(entries, {
        edition: "2016",
        sendConnector: { tlsCertificateName: LEAF_RSA_NAME },
      });
      expect(result).toMatchObject({
        outcome: "session-fails",
        negotiateStartTls: false,
        reply: TLS_CERTIFICATE_NAME_NOT_FOUND_REPLY,
      });
      expect(result.events.map((e) => [e.id, e.level])).toEqual([[12014, "Error"]]);
      expect(result.trace.at(-1)?.rules).toEqual(["S11"]);
    }
    expect(TLS_CERTIFICATE_NAME_NOT_FOUND_REPLY).toBe(
      "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.",
    );
  });

  it("an untrusted CA-issued match is not usable either (S7): the session fails", async () => {
    const result = await select([entry("leaf-rsa")], {
      edition: "2016",
      trustAnchors: [],
      intermediates: [],
      sendConnector: { tlsCertificateName: LEAF_RSA_NAME },
    });
    expect(result).toMatchObject({ outcome: "session-fails", reason: "no-usable-certificate" });
  });

  it("only a TlsCertificateName fails the session: an Fqdn without a certificate still negotiates (S10)", async () => {
    const result = await select([], { edition: "2016" });
    expect(result).toMatchObject({ outcome: "no-certificate", negotiateStartTls: true });
  });

  it("is misuse in the 2007 edition (ERR_INVALID_TLS_CERTIFICATE_NAME on sendConnector)", async () => {
    await expect(
      select([entry("leaf-rsa")], { sendConnector: { tlsCertificateName: LEAF_RSA_NAME } }),
    ).rejects.toMatchObject({
      code: "ERR_INVALID_TLS_CERTIFICATE_NAME",
      field: "sendConnector.tlsCertificateName",
    });
  });
});
