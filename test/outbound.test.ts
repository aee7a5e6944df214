import { describe, expect, it } from "vitest";

import {
  type AnonymousTlsSelection,
  type ExchangeEvent,
  InvalidCertificateError,
  InvalidSettingError,
  type OutboundSelectionOptions,
  selectOutboundAnonymousTlsCert,
} from "../src/index.js";
import {
  CLUSTER_NAME,
  DAY,
  directoryFile,
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  hubOptions,
  memoryStore,
  NOW,
  rejectingDirectory,
  SERVER,
  staticDirectory,
  storeOf,
  throwingDirectory,
  throwingStore,
} from "./support/fixtures.js";

const anchors = [fixture("root-rsa").der, fixture("root-ec").der];
const intermediates = [
  fixture("inter-rsa").der,
  fixture("inter-ec").der,
  fixture("inter-expired").der,
];

function select(
  overrides: Partial<OutboundSelectionOptions> &
    Pick<OutboundSelectionOptions, "directory" | "store">,
) {
  return selectOutboundAnonymousTlsCert({ ...edgeOptions(), ...overrides });
}

function selected(selection: AnonymousTlsSelection) {
  if (selection.outcome !== "selected")
    throw new Error(`expected selected, got ${selection.outcome}`);
  return selection;
}

const ids = (selection: AnonymousTlsSelection) => selection.events.map((e) => e.id);
const verdict = (selection: AnonymousTlsSelection, name: string) => {
  const found = selection.certificates.find((c) => c.thumbprint === fixture(name).thumbprint);
  if (found === undefined) throw new Error(`no verdict for ${name}`);
  return found;
};

describe("steps 1–2: the load gate", () => {
  const directory = directoryFor("self-signed");
  const store = storeOf("self-signed");

  it.each([
    [
      "R1a: Hub with SmartHostAuthMechanism BasicAuth",
      { smartHostAuthMechanism: "BasicAuth" },
      undefined,
      ["R1a"],
    ],
    ["R1b: Hub with DeliveryType SmtpRelayToRemoteAdSite", {}, "SmtpRelayToRemoteAdSite", ["R1b"]],
    ["R1b: Hub without a DeliveryType", {}, null, ["R1b"]],
    [
      "R1a+R1b: both fail, both recorded",
      { smartHostAuthMechanism: "None" },
      "DnsConnectorDelivery",
      ["R1a", "R1b"],
    ],
  ] as const)("%s", async (_name, connector, deliveryType, failed) => {
    const { deliveryType: passing, ...options } = hubOptions();
    const result = await selectOutboundAnonymousTlsCert({
      ...options,
      ...(deliveryType === null ? {} : { deliveryType: deliveryType ?? passing }),
      sendConnector: { ...options.sendConnector, ...connector },
      directory,
      store,
    });
    expect(result.outcome).toBe("not-attempted");
    expect(result.advertiseAnonymousTls).toBe(false);
    if (result.outcome === "not-attempted") expect(result.failed).toEqual(failed);
    expect(result.events).toEqual([]);
    expect(result.certificates).toEqual([]);
  });

  it("R1: a Hub whose conditions hold loads the certificate; the topic's spelling SmtpRelayWithinAdSitetoEdge counts", async () => {
    const result = await selectOutboundAnonymousTlsCert({
      ...hubOptions(),
      deliveryType: "SmtpRelayWithinAdSitetoEdge",
      sendConnector: { smartHostAuthMechanism: "exchangeserver", addressSpaces: [] },
      directory,
      store,
    });
    expect(result.outcome).toBe("selected");
  });

  it.each([
    ["R2a: Edge with SmartHostAuthMechanism None", "None", ["SMTP:--;1"], ["R2a"]],
    ["R2b: Edge whose address space is *", "ExchangeServer", ["SMTP:*;1"], ["R2b"]],
    [
      "R2: both fail (we follow 'both must be met'), both recorded",
      "BasicAuth",
      ["contoso.com"],
      ["R2a", "R2b"],
    ],
    [
      "A12: -- inside a longer address does not count",
      "ExchangeServer",
      ["SMTP:a--b.contoso.com;1"],
      ["R2b"],
    ],
    ["A12: -- under another type does not count", "ExchangeServer", ["X400:--;1"], ["R2b"]],
  ] as const)("%s", async (_name, mechanism, addressSpaces, failed) => {
    const result = await select({
      sendConnector: { smartHostAuthMechanism: mechanism, addressSpaces },
      directory,
      store,
    });
    expect(result.outcome).toBe("not-attempted");
    if (result.outcome === "not-attempted") expect(result.failed).toEqual(failed);
  });

  it.each([["SMTP:--;1"], ["--"], ["smtp:--;5"], ["SMTP:--"]])(
    "A12: address space %s contains --",
    async (space) => {
      const result = await select({
        sendConnector: {
          smartHostAuthMechanism: "ExchangeServer",
          addressSpaces: ["SMTP:*.fabrikam.com;10", space],
        },
        directory,
        store,
      });
      expect(result.outcome).toBe("selected");
    },
  );

  it("an unknown SmartHostAuthMechanism is an error whose code names the field", async () => {
    const attempt = () =>
      select({
        sendConnector: { smartHostAuthMechanism: "Kerberos", addressSpaces: ["--"] },
        directory,
        store,
      });
    await expect(attempt()).rejects.toThrow(InvalidSettingError);
    await expect(attempt()).rejects.toThrow(
      expect.objectContaining({ code: "ERR_INVALID_SMART_HOST_AUTH_MECHANISM" }),
    );
  });

  it("SmartHostAuthMechanism is one value, not flags: 'ExchangeServer, BasicAuth' is refused", async () => {
    await expect(
      select({
        sendConnector: {
          smartHostAuthMechanism: "ExchangeServer, BasicAuth",
          addressSpaces: ["--"],
        },
        directory,
        store,
      }),
    ).rejects.toThrow(expect.objectContaining({ code: "ERR_INVALID_SMART_HOST_AUTH_MECHANISM" }));
  });

  it("an unknown DeliveryType is an error whose code names the field", async () => {
    await expect(
      selectOutboundAnonymousTlsCert({
        ...hubOptions(),
        deliveryType: "SmtpRelay",
        directory,
        store,
      }),
    ).rejects.toThrow(
      expect.objectContaining({ code: "ERR_INVALID_DELIVERY_TYPE", field: "deliveryType" }),
    );
  });

  it("A12: white space around the address is not part of it ('SMTP: --;1')", async () => {
    const result = await select({
      sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP: -- ;1"] },
      directory,
      store,
    });
    expect(result.outcome).toBe("selected");
  });

  it("a malformed address space is an error", async () => {
    await expect(
      select({
        sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:;1"] },
        directory,
        store,
      }),
    ).rejects.toThrow(expect.objectContaining({ code: "ERR_INVALID_ADDRESS_SPACE" }));
  });

  it.each([
    ["a missing server", { server: undefined }],
    ["an unknown role", { role: "MailboxServer" }],
    ["a store without list()", { store: {} }],
    ["an invalid now", { now: new Date(Number.NaN) }],
    ["an unknown phase", { phase: "shutdown" }],
    ["an unknown mismatch policy", { onThumbprintMismatch: "newest" }],
  ])("misuse: %s rejects with a TypeError", async (_name, overrides) => {
    await expect(
      select({ directory, store, ...(overrides as object) } as OutboundSelectionOptions),
    ).rejects.toThrow(TypeError);
  });

  it("a trust anchor that does not parse is InvalidCertificateError", async () => {
    await expect(
      select({ directory, store, trustAnchors: [new Uint8Array([0x30, 0x03, 1, 2, 3])] }),
    ).rejects.toThrow(InvalidCertificateError);
  });
});

describe("step 3: directory lookup", () => {
  const store = storeOf("self-signed");

  it.each([
    [
      "R3: a thumbprint as pasted from Windows (LRM, spaces, lower case)",
      () => Buffer.from(directoryFile("thumbprint.txt")).toString("utf8"),
    ],
    ["R3: a DER certificate", () => directoryFile("certificate.der")],
    ["R3: a serialized-certificate blob", () => directoryFile("serialized.bin")],
    ["R3: PEM text", () => fixture("self-signed").pem],
    [
      "R3: a thumbprint string returned as bytes",
      () => new Uint8Array(Buffer.from(fixture("self-signed").thumbprint)),
    ],
  ])("%s", async (_name, value) => {
    const result = selected(await select({ directory: staticDirectory(value()), store }));
    expect(result.directoryThumbprint).toBe(fixture("self-signed").thumbprint);
    expect(result.thumbprint).toMatch(/^[0-9A-F]{40}$/);
  });

  it.each([
    ["R4: null", null, "directory-empty"],
    ["A15: an empty string", "", "directory-empty"],
    ["A15: only white space", " \t\n", "directory-empty"],
    ["A15: zero bytes", new Uint8Array(0), "directory-empty"],
    ["R4: a value that is not a thumbprint", "not-a-thumbprint", "directory-unreadable"],
    ["R4: 39 hex digits", "A".repeat(39), "directory-unreadable"],
    [
      "R4: bytes that are none of the three forms",
      new Uint8Array([0xff, 0x00, 0x13, 0x37, 0x99]),
      "directory-unreadable",
    ],
    [
      "R4: a DER value that is not a certificate",
      new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
      "directory-unreadable",
    ],
    ["R4: a value of the wrong type", 42, "directory-unreadable"],
  ] as const)("%s → %s, no X-ANONYMOUSTLS", async (_name, value, reason) => {
    const result = await select({ directory: staticDirectory(value), store });
    expect(result.outcome).toBe("no-certificate");
    expect(result.advertiseAnonymousTls).toBe(false);
    if (result.outcome === "no-certificate") expect(result.reason).toBe(reason);
    expect(result.events).toEqual([]); // a session: no 12012 (R5)
    expect(result.certificates).toEqual([]);
  });

  it("R4: a directory that throws is 'cannot be read' and the cause is kept", async () => {
    const error = new Error("LDAP_SERVER_DOWN");
    const result = await select({ directory: throwingDirectory(error), store });
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "directory-unreadable",
      cause: error,
    });
  });

  it("R4: a directory that rejects is 'cannot be read'", async () => {
    const result = await select({ directory: rejectingDirectory(), store });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
  });

  it("R4: a value that is not a thumbprint keeps the parse error as cause", async () => {
    const result = await select({ directory: staticDirectory("ZZ".repeat(20)), store });
    expect(result.outcome === "no-certificate" && result.cause).toMatchObject({
      code: "ERR_INVALID_THUMBPRINT",
    });
  });

  it("R5: at transport start-up an unreadable attribute logs 12012", async () => {
    const result = await select({ directory: throwingDirectory(), store, phase: "startup" });
    expect(ids(result)).toEqual([12012]);
    expect(result.events[0]).toMatchObject({
      level: "Error",
      rule: "R5",
      source: "MSExchangeTransport",
    });
  });

  it("R5: at start-up a null attribute logs 12012 too; in a session it does not", async () => {
    expect(
      ids(await select({ directory: staticDirectory(null), store, phase: "startup" })),
    ).toEqual([12012]);
    expect(
      ids(await select({ directory: staticDirectory(null), store, phase: "session" })),
    ).toEqual([]);
  });
});

describe("step 4: store lookup", () => {
  it("R6: no certificate with the thumbprint → 12013, not advertised", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("leaf-rsa", "expired"),
    });
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "not-in-store",
      advertiseAnonymousTls: false,
    });
    expect(ids(result)).toEqual([12013]);
    expect(result.events[0]?.message).toContain(fixture("self-signed").thumbprint);
    // The explanation still lists what the store holds.
    expect(result.certificates.map((c) => c.status)).toEqual(["not-evaluated", "not-evaluated"]);
  });

  it("A9: present without a private key is 12013 too, and says which", async () => {
    const store = memoryStore([entry("self-signed", { hasPrivateKey: false })]);
    const result = await select({ directory: directoryFor("self-signed"), store });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "no-private-key" });
    expect(result.events[0]).toMatchObject({ id: 12013, data: { reason: "no-private-key" } });
  });

  it("A9: a private key that belongs to another certificate counts as no key", async () => {
    const store = memoryStore([entry("self-signed", { privateKey: fixture("leaf-rsa").keyPem })]);
    const result = await select({ directory: directoryFor("self-signed"), store });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "no-private-key" });
  });

  it("A16: a store that cannot be listed → not found, 12013, cause kept", async () => {
    const error = new Error("Keyset does not exist");
    const result = await select({
      directory: directoryFor("self-signed"),
      store: throwingStore(error),
    });
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "not-in-store",
      cause: error,
    });
    expect(ids(result)).toEqual([12013]);
  });
});

describe("step 5: expiry", () => {
  it("R7: an expired directory certificate logs 12015 and selection continues", async () => {
    const result = selected(
      await select({
        directory: directoryFor("expired"),
        store: storeOf("expired", "self-signed"),
      }),
    );
    expect(result.events[0]).toMatchObject({
      id: 12015,
      level: "Warning",
      data: { thumbprint: fixture("expired").thumbprint },
    });
    expect(result.thumbprint).toBe(fixture("expired").thumbprint); // A1: still the directory's
    expect(ids(result)).toEqual([12015, 1037]); // steps 6–9 ran: self-signed is newer
  });

  it("A4: at exactly notAfter the certificate is not yet expired; a millisecond later it is", async () => {
    const notAfter = new Date(NOW.getTime() - DAY);
    // the 'expired' fixture's notAfter is NOW - 1 day
    const atEdge = await select({
      directory: directoryFor("expired"),
      store: storeOf("expired"),
      now: notAfter,
    });
    expect(ids(atEdge)).not.toContain(12015);
    const after = await select({
      directory: directoryFor("expired"),
      store: storeOf("expired"),
      now: new Date(notAfter.getTime() + 1),
    });
    expect(ids(after)).toContain(12015);
  });

  it("A14: a directory certificate that is not yet valid raises no event in R7", async () => {
    const result = await select({
      directory: directoryFor("not-yet-valid"),
      store: storeOf("not-yet-valid"),
    });
    expect(ids(result)).toEqual([]);
    expect(selected(result).thumbprintMatches).toBe(true);
  });
});

describe("steps 6–7: domain list and eligibility", () => {
  it.each([
    ["R8: the FQDN", "self-signed"],
    ["R8: the host name (CN=EDGE01)", "host-name"],
    ["R8: the physical FQDN (SAN only)", "physical-fqdn"],
  ])("%s makes a certificate eligible", async (_name, name) => {
    const result = await select({ directory: directoryFor(name), store: storeOf(name) });
    expect(verdict(result, name).status).toBe("eligible");
    expect(selected(result).thumbprintMatches).toBe(true);
  });

  it("R9/A10: with a cluster name, the cluster certificate is eligible and the FQDN entry is replaced", async () => {
    const server = { ...SERVER, clusterName: CLUSTER_NAME };
    const result = await select({
      server,
      directory: directoryFor("cluster"),
      store: storeOf("cluster", "san-only"),
    });
    expect(verdict(result, "cluster").status).toBe("eligible");
    // mail.contoso.com was the FQDN; the cluster name took its place, so san-only no longer matches
    expect(verdict(result, "san-only")).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10c" },
    });
    const domainList = result.trace.find((t) => t.step === "domain-list");
    expect(domainList?.rules).toContain("R9");
    expect((domainList!.data.entries as { name: string }[]).map((e) => e.name)).toEqual([
      "cluster.contoso.com",
      "edge01",
      "edge01.contoso.com",
      "edge01",
    ]);
  });

  it("A10: without a cluster name the list is R8's four entries in R8's order", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed"),
    });
    const domainList = result.trace.find((t) => t.step === "domain-list");
    expect((domainList!.data.entries as { source: string }[]).map((e) => e.source)).toEqual([
      "fqdn",
      "host-name",
      "physical-fqdn",
      "physical-host-name",
    ]);
  });

  it("R10a: a version 1 certificate is excluded", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "v1"),
    });
    expect(verdict(result, "v1")).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10a", code: "version-1" },
    });
  });

  it("R10b: a certificate without a private key is excluded", async () => {
    const store = memoryStore([
      entry("self-signed"),
      entry("self-signed-newest", { hasPrivateKey: false }),
    ]);
    const result = await select({ directory: directoryFor("self-signed"), store });
    expect(verdict(result, "self-signed-newest")).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10b" },
    });
    expect(selected(result).thumbprintMatches).toBe(true);
  });

  it("R10c: a certificate for another name is excluded, with the names compared", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "evil"),
    });
    const evil = verdict(result, "evil");
    expect(evil).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10c", code: "no-matching-name" },
    });
    if (evil.status === "excluded") expect(evil.exclusion.actual).toContain("evilcontoso.com");
  });

  it("R10d: a certificate not enabled for SMTP is excluded", async () => {
    const store = memoryStore([
      entry("self-signed"),
      entry("self-signed-newest", { services: ["IIS", "POP"] }),
    ]);
    const result = await select({ directory: directoryFor("self-signed"), store });
    expect(verdict(result, "self-signed-newest")).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10d", code: "smtp-not-enabled" },
    });
  });

  it("R10d: the PowerShell string form 'IIS, SMTP' in one element counts as SMTP", async () => {
    const store = memoryStore([entry("self-signed", { services: ["IIS, SMTP"] })]);
    const result = await select({ directory: directoryFor("self-signed"), store });
    expect(verdict(result, "self-signed").status).toBe("eligible");
  });

  it("R10d: service names compare case-insensitively", async () => {
    const store = memoryStore([entry("self-signed", { services: ["iis", "smtp"] })]);
    const result = await select({ directory: directoryFor("self-signed"), store });
    expect(verdict(result, "self-signed").status).toBe("eligible");
  });

  it("A2: evilcontoso.com and mail.contoso.com.evil.net never match mail.contoso.com", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "evil"),
    });
    expect(verdict(result, "evil").status).toBe("excluded");
  });

  it("A2: names compare case-insensitively with one trailing dot ignored", async () => {
    const server = { ...SERVER, fqdn: "MAIL.Contoso.COM." };
    const result = await select({
      server,
      directory: directoryFor("san-only"),
      store: storeOf("san-only"),
    });
    expect(verdict(result, "san-only").status).toBe("eligible");
  });

  it("A5: *.contoso.com matches only with wildcardNames", async () => {
    const off = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "wildcard"),
    });
    expect(verdict(off, "wildcard")).toMatchObject({
      status: "excluded",
      exclusion: { rule: "R10c" },
    });
    const on = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "wildcard"),
      wildcardNames: true,
    });
    const wildcard = verdict(on, "wildcard");
    expect(wildcard.status).toBe("eligible");
    if (wildcard.status === "eligible")
      expect(wildcard.match).toMatchObject({ wildcard: true, domainListEntry: "mail.contoso.com" });
  });

  it("A7: the CN counts even when a SAN is present; the trace says which entry matched", async () => {
    const result = await select({ directory: directoryFor("cn-only"), store: storeOf("cn-only") });
    const cnOnly = verdict(result, "cn-only");
    expect(cnOnly.status).toBe("eligible");
    if (cnOnly.status === "eligible") {
      expect(cnOnly.match).toEqual({
        certificateName: "mail.contoso.com",
        source: "subject-cn",
        domainListEntry: "mail.contoso.com",
        wildcard: false,
      });
    }
  });

  it("A7: a SAN-only certificate with an empty subject matches through its SAN", async () => {
    const result = await select({
      directory: directoryFor("san-only"),
      store: storeOf("san-only"),
    });
    const sanOnly = verdict(result, "san-only");
    if (sanOnly.status !== "eligible") throw new Error("expected eligible");
    expect(sanOnly.match.source).toBe("san-dns");
  });

  it("A14: eligibility does not look at dates", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "expired", "not-yet-valid"),
    });
    expect(verdict(result, "expired")).toMatchObject({ status: "eligible", time: "expired" });
    expect(verdict(result, "not-yet-valid")).toMatchObject({
      status: "eligible",
      time: "not-yet-valid",
    });
  });
});

describe("steps 8–9: ranking and thumbprint match", () => {
  it("R11/R13: without valid PKI, the newest self-signed certificate is best", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed-old"),
        store: storeOf("self-signed-old", "self-signed", "self-signed-newest"),
      }),
    );
    expect(result.bestCandidate).toBe(fixture("self-signed-newest").thumbprint);
    expect(verdict(result, "self-signed-newest")).toMatchObject({
      rank: 1,
      best: true,
      trust: { kind: "self-signed" },
    });
    expect(verdict(result, "self-signed")).toMatchObject({ rank: 2, best: false });
    expect(verdict(result, "self-signed-old")).toMatchObject({ rank: 3 });
  });

  it("R12: the first valid PKI certificate wins over newer self-signed ones", async () => {
    const result = selected(
      await select({
        directory: directoryFor("leaf-rsa"),
        store: storeOf("self-signed-newest", "leaf-rsa", "leaf-rsa-older"),
        trustAnchors: anchors,
        intermediates,
      }),
    );
    expect(result.bestCandidate).toBe(fixture("leaf-rsa").thumbprint);
    expect(result.thumbprintMatches).toBe(true);
    expect(verdict(result, "leaf-rsa")).toMatchObject({ trust: { kind: "pki" }, best: true });
    // The chain sent: leaf and intermediate, not the root (A3 path leaf … anchor).
    expect(result.chain.map((c) => Buffer.from(c).toString("hex"))).toEqual(
      [fixture("leaf-rsa").der, fixture("inter-rsa").der].map((c) =>
        Buffer.from(c).toString("hex"),
      ),
    );
  });

  it("R13: the ranking trace cites R13 when the fallback was looked for, even in vain", async () => {
    const result = await select({ directory: directoryFor("leaf-ec"), store: storeOf("leaf-ec") });
    const ranking = result.trace.find((t) => t.step === "ranking")!;
    expect(ranking.rules).toEqual(["R11", "R12", "R13"]);
    expect(ranking.data.best).toBeNull();
  });

  it("R12: ranking stops at the first valid PKI certificate; later ones are not checked", async () => {
    const result = await select({
      directory: directoryFor("leaf-ec"),
      store: storeOf("leaf-ec", "leaf-rsa", "self-signed-old"),
      trustAnchors: anchors,
      intermediates,
    });
    expect(verdict(result, "leaf-ec")).toMatchObject({
      rank: 1,
      trust: { kind: "pki" },
      best: true,
    });
    expect(verdict(result, "leaf-rsa")).toMatchObject({ rank: 2, trust: null });
  });

  it("R12/A3: without trust anchors a CA-issued certificate is not valid PKI; R13 falls back to self-signed", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed"),
        store: storeOf("leaf-ec", "self-signed"),
      }),
    );
    expect(verdict(result, "leaf-ec")).toMatchObject({
      trust: { kind: "untrusted", code: "no-trust-anchors" },
    });
    expect(result.bestCandidate).toBe(fixture("self-signed").thumbprint);
  });

  it("A3: a certificate from an untrusted root is neither valid PKI nor self-signed; skipped", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed-old"),
        store: storeOf("leaf-untrusted", "self-signed-old"),
        trustAnchors: anchors,
        intermediates,
      }),
    );
    expect(verdict(result, "leaf-untrusted")).toMatchObject({
      status: "eligible",
      trust: { kind: "untrusted" },
    });
    expect(result.bestCandidate).toBe(fixture("self-signed-old").thumbprint);
  });

  it("A3: a chain through an expired intermediate is not valid PKI", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed-old"),
        store: storeOf("leaf-expired-chain", "self-signed-old"),
        trustAnchors: anchors,
        intermediates,
      }),
    );
    expect(verdict(result, "leaf-expired-chain")).toMatchObject({ trust: { kind: "untrusted" } });
    expect(result.bestCandidate).toBe(fixture("self-signed-old").thumbprint);
  });

  it("A6: a self-signed certificate is never valid PKI, even when it is a trust anchor", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed"),
      trustAnchors: [fixture("self-signed").der],
    });
    expect(verdict(result, "self-signed")).toMatchObject({ trust: { kind: "self-signed" } });
  });

  it("A11: equal notBefore → later notAfter first", async () => {
    const result = await select({
      directory: directoryFor("tie-b"),
      store: storeOf("tie-b", "tie-a"),
    });
    expect(verdict(result, "tie-a")).toMatchObject({ rank: 1, best: true });
    expect(verdict(result, "tie-b")).toMatchObject({ rank: 2 });
  });

  it("A11: equal notBefore and notAfter → thumbprint ascending, whatever the store order", async () => {
    const [low, high] = [fixture("tie-c"), fixture("tie-d")].sort((a, b) =>
      a.thumbprint < b.thumbprint ? -1 : 1,
    );
    for (const order of [
      ["tie-c", "tie-d"],
      ["tie-d", "tie-c"],
    ]) {
      const result = selected(
        await select({ directory: directoryFor("tie-c"), store: storeOf(...order) }),
      );
      expect(result.bestCandidate).toBe(low!.thumbprint);
      expect(result.certificates.find((c) => c.thumbprint === high!.thumbprint)).toMatchObject({
        rank: 2,
      });
    }
  });

  it("A14: R13 takes the first self-signed certificate whatever its dates", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed"),
        store: storeOf("self-signed", "not-yet-valid"),
      }),
    );
    expect(result.bestCandidate).toBe(fixture("not-yet-valid").thumbprint);
    expect(verdict(result, "not-yet-valid")).toMatchObject({ time: "not-yet-valid", best: true });
  });

  it("R14: the best candidate is the directory's → used, no event", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed-newest"),
        store: storeOf("self-signed", "self-signed-newest"),
      }),
    );
    expect(result).toMatchObject({
      thumbprintMatches: true,
      thumbprint: fixture("self-signed-newest").thumbprint,
    });
    expect(result.events).toEqual([]);
  });

  it("R15/A1: a mismatch logs 1037, X-AnonymousTLS still works with the directory's certificate", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed"),
        store: storeOf("self-signed", "self-signed-newest"),
      }),
    );
    expect(result).toMatchObject({
      advertiseAnonymousTls: true,
      thumbprint: fixture("self-signed").thumbprint,
      bestCandidate: fixture("self-signed-newest").thumbprint,
      thumbprintMatches: false,
    });
    expect(result.events).toEqual([
      expect.objectContaining({
        id: 1037,
        level: "Warning",
        rule: "R15",
        data: {
          thumbprint: fixture("self-signed").thumbprint,
          bestCandidate: fixture("self-signed-newest").thumbprint,
        },
      }),
    ]);
    expect(result.entry.certificate).toEqual(fixture("self-signed").der);
  });

  it("A1 option: use-best-candidate uses the best candidate after 1037", async () => {
    const result = selected(
      await select({
        directory: directoryFor("self-signed"),
        store: storeOf("self-signed", "self-signed-newest"),
        onThumbprintMismatch: "use-best-candidate",
      }),
    );
    expect(result.thumbprint).toBe(fixture("self-signed-newest").thumbprint);
    expect(ids(result)).toEqual([1037]);
  });

  it("A8: no eligible certificate is a mismatch (1037, best = none); the directory's certificate is used", async () => {
    const store = memoryStore([entry("self-signed", { services: ["IIS"] })]);
    for (const policy of ["keep-directory-certificate", "use-best-candidate"] as const) {
      const result = selected(
        await select({
          directory: directoryFor("self-signed"),
          store,
          onThumbprintMismatch: policy,
        }),
      );
      expect(result).toMatchObject({
        bestCandidate: null,
        thumbprintMatches: false,
        thumbprint: fixture("self-signed").thumbprint,
      });
      expect(result.events).toEqual([
        expect.objectContaining({
          id: 1037,
          data: expect.objectContaining({ bestCandidate: null }),
        }),
      ]);
    }
  });
});

describe("the event table, end to end", () => {
  it("12012 at start-up and none in a session", async () => {
    const store = storeOf("self-signed");
    expect(ids(await select({ directory: staticDirectory(""), store, phase: "startup" }))).toEqual([
      12012,
    ]);
    expect(ids(await select({ directory: staticDirectory(""), store }))).toEqual([]);
  });

  it("12013: not in the store, not advertised", async () => {
    const result = await select({
      directory: directoryFor("leaf-ec"),
      store: storeOf("self-signed"),
    });
    expect(result.advertiseAnonymousTls).toBe(false);
    expect(ids(result)).toEqual([12013]);
  });

  it("12015 then continue: expired, mismatch with a newer certificate, still used", async () => {
    const result = await select({
      directory: directoryFor("expired"),
      store: storeOf("expired", "self-signed-newest"),
    });
    expect(result.advertiseAnonymousTls).toBe(true);
    expect(ids(result)).toEqual([12015, 1037]);
  });

  it("1037 on mismatch and on A8", async () => {
    expect(
      ids(
        await select({
          directory: directoryFor("self-signed"),
          store: storeOf("self-signed", "self-signed-newest"),
        }),
      ),
    ).toEqual([1037]);
    expect(ids(await select({ directory: directoryFor("v1"), store: storeOf("v1") }))).toEqual([
      1037,
    ]);
  });

  it("match: no events", async () => {
    expect(
      ids(
        await select({
          directory: directoryFor("self-signed"),
          store: storeOf("self-signed", "self-signed-old"),
        }),
      ),
    ).toEqual([]);
  });

  it("events given to onEvent arrive in the same order as in events", async () => {
    const seen: ExchangeEvent[] = [];
    const result = await select({
      directory: directoryFor("expired"),
      store: storeOf("expired", "self-signed-newest"),
      onEvent: (event) => seen.push(event),
    });
    expect(seen).toEqual(result.events);
    expect(seen.length).toBe(2);
  });

  it("every step records a trace entry citing its rules, in the spec's order", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed"),
    });
    expect(result.trace.map((t) => t.step)).toEqual([
      "role-gate",
      "directory-lookup",
      "store-lookup",
      "expiry",
      "domain-list",
      "eligibility",
      "ranking",
      "thumbprint-match",
    ]);
    for (const step of result.trace) expect(step.rules.length).toBeGreaterThan(0);
  });

  it("A4: now is read once; the whole decision reports it", async () => {
    const result = await select({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed"),
    });
    expect(result.evaluatedAt).toEqual(NOW);
  });

  it("the store is listed once and the directory read once", async () => {
    const directory = staticDirectory(fixture("self-signed").thumbprint);
    const store = memoryStore([entry("self-signed")]);
    await select({ directory, store });
    expect(directory.calls).toBe(1);
    expect(store.calls).toBe(1);
  });
});
