// Inbound STARTTLS (S1–S9, A22; E3, E4, E6 in the 2016 edition) on the committed fixtures: every
// rule has a case that fails if the rule is removed. The fixtures' server is R8's example
// (mail.contoso.com / edge01.contoso.com); NOW is the fixtures' fixed time.
import { describe, expect, it } from "vitest";

import {
  type CertificateVerdict,
  type Event12014,
  type InboundStartTlsSelection,
  type InboundStartTlsSelectionOptions,
  InvalidSettingError,
  type StoreEntry,
  selectInboundStartTlsCert,
} from "../../src/index.js";
import { entry, fixture, memoryStore, NOW, SERVER } from "../support/fixtures.js";

const PKI = {
  trustAnchors: [fixture("root-rsa").pem, fixture("root-ec").pem],
  intermediates: [fixture("inter-rsa").pem, fixture("inter-ec").pem],
};

/** leaf-rsa's names as PowerShell prints them (most specific RDN first). */
const LEAF_RSA_NAME =
  "<I>CN=Contoso Issuing CA (RSA), O=Contoso Test PKI<S>CN=mail.contoso.com, O=Contoso";

function select(
  entries: readonly StoreEntry[],
  overrides: Partial<InboundStartTlsSelectionOptions> = {},
): Promise<InboundStartTlsSelection> {
  return selectInboundStartTlsCert({
    receiveConnector: {
      authMechanism: "Tls, Integrated",
      fqdn: "mail.contoso.com",
      name: "EDGE01\\Default EDGE01",
    },
    server: SERVER,
    store: memoryStore(entries),
    now: NOW,
    ...PKI,
    ...overrides,
  });
}

function selected(selection: InboundStartTlsSelection) {
  if (selection.outcome !== "selected") {
    throw new Error(
      `expected selected, got ${selection.outcome}: ${JSON.stringify(selection.trace)}`,
    );
  }
  return selection;
}

function verdictOf(selection: InboundStartTlsSelection, name: string): CertificateVerdict {
  const verdict = selection.certificates.find((c) => c.thumbprint === fixture(name).thumbprint);
  if (verdict === undefined) throw new Error(`no verdict for ${name}`);
  return verdict;
}

function event12014(selection: InboundStartTlsSelection): Event12014 {
  const event = selection.events.find((e) => e.id === 12014);
  if (event?.id !== 12014) throw new Error("no 12014");
  return event;
}

describe("S1: the Receive connector's AuthMechanism must include Tls", () => {
  it("without Tls, STARTTLS is not advertised and the store is never read", async () => {
    const store = memoryStore([entry("leaf-rsa")]);
    const result = await selectInboundStartTlsCert({
      receiveConnector: { authMechanism: "Integrated, ExchangeServer" },
      server: SERVER,
      store,
      now: NOW,
    });
    expect(result).toMatchObject({
      process: "starttls",
      direction: "inbound",
      outcome: "not-attempted",
      advertiseStartTls: false,
      failed: ["S1"],
    });
    expect(result.events).toEqual([]);
    expect(store.calls).toBe(0);
    expect(result.trace.map((s) => s.rules)).toEqual([["S1"]]);
  });

  it("with Tls among other flags, the process goes on", async () => {
    const result = await select([entry("leaf-rsa")], {
      receiveConnector: { authMechanism: ["ExchangeServer", "Tls"] },
    });
    expect(selected(result).advertiseStartTls).toBe(true);
  });
});

describe("S2: the name looked for", () => {
  it("is the connector's Fqdn when set", async () => {
    const result = await select([entry("leaf-rsa"), entry("physical-fqdn")], {
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
    });
    expect(result.outcome === "not-attempted" ? null : result.lookedFor).toEqual({
      name: "mail.contoso.com",
      source: "connector-fqdn",
    });
    expect(selected(result).thumbprint).toBe(fixture("leaf-rsa").thumbprint);
  });

  it("is the server's physical FQDN when the connector has none (null, absent or blank)", async () => {
    for (const fqdn of [null, undefined, "  "]) {
      const result = await select([entry("leaf-ec"), entry("physical-fqdn")], {
        receiveConnector: { authMechanism: "Tls", ...(fqdn === undefined ? {} : { fqdn }) },
      });
      expect(selected(result).lookedFor).toEqual({
        name: "edge01.contoso.com",
        source: "physical-fqdn",
      });
      expect(selected(result).thumbprint).toBe(fixture("physical-fqdn").thumbprint);
    }
  });

  it("an Fqdn Exchange would refuse is misuse (ERR_INVALID_FQDN), before any I/O", async () => {
    const store = memoryStore([entry("leaf-rsa")]);
    await expect(
      selectInboundStartTlsCert({
        receiveConnector: { authMechanism: "Tls", fqdn: "mail..contoso.com" },
        server: SERVER,
        store,
      }),
    ).rejects.toMatchObject({ code: "ERR_INVALID_FQDN", field: "receiveConnector.fqdn" });
    expect(store.calls).toBe(0);
  });
});

describe("S3: the store search (A2, A5, A7)", () => {
  it("no certificate carries the name: not advertised, 12014 with the name, connector and FQDN", async () => {
    const result = await select([entry("evil"), entry("host-name"), entry("wildcard")], {
      receiveConnector: {
        authMechanism: "Tls",
        fqdn: "mail.contoso.com",
        name: "EDGE01\\Internet",
      },
    });
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "no-matching-certificate",
      advertiseStartTls: false,
    });
    const event = event12014(result);
    expect(event).toMatchObject({
      rule: "S3",
      level: "Warning",
      data: {
        domainName: "mail.contoso.com",
        connector: "EDGE01\\Internet",
        connectorFqdn: "mail.contoso.com",
        reason: "no-matching-certificate",
      },
    });
    expect(event.message).toContain(
      "could not find a certificate that contains the domain name mail.contoso.com",
    );
    expect(event.message).toContain(
      "for the connector EDGE01\\Internet with a FQDN parameter of mail.contoso.com",
    );
    // Each certificate says why it did not match.
    expect(verdictOf(result, "evil")).toMatchObject({
      status: "excluded",
      exclusion: { rule: "S3", code: "no-matching-name", expected: "mail.contoso.com" },
    });
  });

  it("12014's FQDN parameter is the physical FQDN when the connector has none", async () => {
    const result = await select([entry("leaf-ec")], {
      receiveConnector: { authMechanism: "Tls" },
    });
    expect(event12014(result).data).toMatchObject({
      domainName: "edge01.contoso.com",
      connectorFqdn: "edge01.contoso.com",
      connector: "",
    });
  });

  it("A5: a wildcard certificate matches only with wildcardNames", async () => {
    const plain = await select([entry("wildcard")], {
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
    });
    expect(plain.outcome).toBe("no-certificate");
    const wild = await select([entry("wildcard")], {
      receiveConnector: { authMechanism: "Tls", fqdn: "mail.contoso.com" },
      wildcardNames: true,
    });
    expect(selected(wild).thumbprint).toBe(fixture("wildcard").thumbprint);
  });

  it("a store that cannot be listed finds nothing: store-unreadable, the cause kept, 12014", async () => {
    const cause = new Error("the store is locked");
    const result = await selectInboundStartTlsCert({
      receiveConnector: { authMechanism: "Tls" },
      server: SERVER,
      store: {
        list() {
          throw cause;
        },
      },
      now: NOW,
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "store-unreadable" });
    expect(result.outcome === "no-certificate" ? result.cause : null).toBe(cause);
    expect(event12014(result).data.reason).toBe("store-unreadable");
  });
});

describe("S4/S5: eligibility", () => {
  it("v1, no private key and (2007) no SMTP are excluded, each with its S4 criterion", async () => {
    const result = await select([
      entry("v1"),
      entry("leaf-rsa", { hasPrivateKey: false }),
      entry("self-signed", { services: ["IIS"] }),
    ]);
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "no-eligible-certificate" });
    expect(event12014(result).rule).toBe("S5");
    expect(verdictOf(result, "v1")).toMatchObject({ exclusion: { rule: "S4", code: "version-1" } });
    expect(verdictOf(result, "leaf-rsa")).toMatchObject({ exclusion: { rule: "S4" } });
    expect(verdictOf(result, "self-signed")).toMatchObject({
      exclusion: { rule: "S4", code: "smtp-not-enabled" },
    });
  });

  it("E4: in 2016 a certificate without SMTP is still chosen, and the result says so", async () => {
    const entries = [entry("self-signed", { services: ["IIS"] })];
    const y2007 = await select(entries);
    expect(y2007.outcome).toBe("no-certificate");
    const y2016 = selected(await select(entries, { edition: "2016" }));
    expect(y2016).toMatchObject({ edition: "2016", smtpEnabled: false, basis: "self-signed" });
    expect(y2016.trace.find((s) => s.step === "eligibility")?.rules).toContain("E4");
  });
});

describe("S6/S7: the ranking", () => {
  it("the newest valid PKI certificate wins, over newer self-signed ones", async () => {
    const result = selected(
      await select([entry("self-signed-newest"), entry("leaf-rsa-older"), entry("leaf-rsa")]),
    );
    expect(result).toMatchObject({ thumbprint: fixture("leaf-rsa").thumbprint, basis: "pki" });
    expect(verdictOf(result, "self-signed-newest")).toMatchObject({ status: "eligible", rank: 1 });
    expect(verdictOf(result, "leaf-rsa")).toMatchObject({ rank: 2, best: true });
    // The chain sent is the validated path without the anchor.
    expect(result.chain.length).toBe(2);
  });

  it("without valid PKI, the newest self-signed certificate", async () => {
    const result = selected(
      await select([
        entry("self-signed-old"),
        entry("self-signed-newest"),
        entry("leaf-untrusted"),
      ]),
    );
    expect(result).toMatchObject({
      thumbprint: fixture("self-signed-newest").thumbprint,
      basis: "self-signed",
    });
  });

  it("S7: eligible but neither valid PKI nor self-signed: nothing usable, 12014", async () => {
    const result = await select([entry("leaf-untrusted"), entry("leaf-expired-chain")]);
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "no-usable-certificate" });
    expect(event12014(result).rule).toBe("S7");
    expect(verdictOf(result, "leaf-untrusted")).toMatchObject({
      status: "eligible",
      trust: { kind: "untrusted" },
    });
  });
});

describe("S8/S9: the chosen certificate's expiry", () => {
  it("S8: an expired chosen certificate logs 12016 and is still advertised", async () => {
    const result = selected(await select([entry("expired")]));
    expect(result).toMatchObject({ expired: true, advertiseStartTls: true });
    expect(result.events.map((e) => [e.id, e.level, e.rule])).toEqual([[12016, "Error", "S8"]]);
    expect(result.events[0]?.message).toBe(
      "There is no valid SMTP Transport Layer Security (TLS) certificate for the FQDN of mail.contoso.com. The existing certificate for that FQDN has expired.",
    );
  });

  it("S9: 12018 within the opt-in window, never without it, never beside 12016", async () => {
    const soon = [entry("expiring-soon")];
    expect((await select(soon)).events).toEqual([]);
    const warned = selected(await select(soon, { expiryWarning: { days: 30 } }));
    expect(warned.events.map((e) => [e.id, e.level, e.rule])).toEqual([[12018, "Warning", "S9"]]);
    const event = warned.events[0];
    expect(event?.id === 12018 ? event.data.hoursRemaining : null).toBe(5 * 24);
    expect(event?.message).toContain(
      `thumbprint: ${fixture("expiring-soon").thumbprint}, hours remaining: 120`,
    );
    const expired = await select([entry("expired")], { expiryWarning: { days: 3650 } });
    expect(expired.events.map((e) => e.id)).toEqual([12016]);
  });
});

describe("E3: TlsCertificateName (2016 edition)", () => {
  it("a certificate matches by issuer and subject, as distinguished names, over the Fqdn", async () => {
    const result = selected(
      await select([entry("leaf-ec"), entry("leaf-rsa")], {
        edition: "2016",
        receiveConnector: {
          authMechanism: "Tls",
          fqdn: "edge01.contoso.com",
          // Case and spacing differ from the certificate's; order is Windows' (most specific first).
          tlsCertificateName:
            "<I>cn=contoso issuing ca (rsa),  o=CONTOSO test pki<S>CN=mail.contoso.com,O=Contoso",
        },
      }),
    );
    expect(result.thumbprint).toBe(fixture("leaf-rsa").thumbprint);
    expect(result.lookedFor.source).toBe("tlsCertificateName");
    expect(verdictOf(result, "leaf-rsa")).toMatchObject({
      status: "eligible",
      match: { source: "tls-certificate-name", subject: "CN=mail.contoso.com, O=Contoso" },
    });
    // The newer leaf-ec carries mail.contoso.com too, but not these names.
    expect(verdictOf(result, "leaf-ec")).toMatchObject({
      exclusion: {
        rule: "S3",
        code: "tls-certificate-name-mismatch",
        actual: "<I>CN=Contoso Issuing CA (ECDSA), O=Contoso Test PKI<S>CN=mail.contoso.com",
      },
    });
  });

  it("the RDN order matters: the certificate's own order is not Windows' string", async () => {
    const result = await select([entry("leaf-rsa")], {
      edition: "2016",
      receiveConnector: {
        authMechanism: "Tls",
        tlsCertificateName:
          "<I>O=Contoso Test PKI, CN=Contoso Issuing CA (RSA)<S>O=Contoso, CN=mail.contoso.com",
      },
    });
    expect(result.outcome).toBe("no-certificate");
  });

  it("a classic 12014: the renewed certificate's subject no longer matches; 12014 names the <I>…<S>… text", async () => {
    // leaf-rsa-older stands for the renewal: same issuer, subject without O=Contoso.
    const result = await select([entry("leaf-rsa-older")], {
      edition: "2016",
      receiveConnector: {
        authMechanism: "Tls",
        tlsCertificateName: LEAF_RSA_NAME,
        name: "Internet",
      },
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "no-matching-certificate" });
    const event = event12014(result);
    // E6: 12014 is an Error in 2016.
    expect(event).toMatchObject({ level: "Error", data: { domainName: LEAF_RSA_NAME } });
    expect(event.message).toContain(`the domain name ${LEAF_RSA_NAME} in the personal store`);
    expect(verdictOf(result, "leaf-rsa-older")).toMatchObject({
      exclusion: {
        code: "tls-certificate-name-mismatch",
        expected: LEAF_RSA_NAME,
        actual: "<I>CN=Contoso Issuing CA (RSA), O=Contoso Test PKI<S>CN=mail.contoso.com",
      },
    });
  });

  it("is misuse in 2007 (no such setting) and when malformed, before any I/O", async () => {
    const store = memoryStore([entry("leaf-rsa")]);
    const base = { server: SERVER, store, now: NOW };
    await expect(
      selectInboundStartTlsCert({
        ...base,
        receiveConnector: { authMechanism: "Tls", tlsCertificateName: LEAF_RSA_NAME },
      }),
    ).rejects.toMatchObject({
      code: "ERR_INVALID_TLS_CERTIFICATE_NAME",
      field: "receiveConnector.tlsCertificateName",
    });
    const malformed = selectInboundStartTlsCert({
      ...base,
      edition: "2016",
      receiveConnector: { authMechanism: "Tls", tlsCertificateName: "CN=mail.contoso.com" },
    });
    await expect(malformed).rejects.toBeInstanceOf(InvalidSettingError);
    await expect(malformed).rejects.toMatchObject({ code: "ERR_INVALID_TLS_CERTIFICATE_NAME" });
    expect(store.calls).toBe(0);
    // Null means "not set", in either edition.
    const unset = await selectInboundStartTlsCert({
      ...base,
      ...PKI,
      receiveConnector: {
        authMechanism: "Tls",
        fqdn: "mail.contoso.com",
        tlsCertificateName: null,
      },
    });
    expect(selected(unset).lookedFor.source).toBe("connector-fqdn");
  });
});

describe("E6: 12014's level by edition", () => {
  it("Warning in 2007, Error in 2016", async () => {
    for (const [edition, level] of [
      ["2007", "Warning"],
      ["2016", "Error"],
    ] as const) {
      const result = await select([], { edition });
      expect(event12014(result).level).toBe(level);
      expect(result.edition).toBe(edition);
    }
  });
});

describe("results are values, frozen, and reported to onEvent in order", () => {
  it("events reach onEvent as they are in `events`", async () => {
    const seen: number[] = [];
    const result = await select([entry("expired")], { onEvent: (e) => seen.push(e.id) });
    expect(seen).toEqual(result.events.map((e) => e.id));
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.trace)).toBe(true);
  });
});
