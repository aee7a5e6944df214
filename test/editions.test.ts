// The 2016/2019/SE edition of the anonymous-TLS selections (E1, E2, E5, E6); STARTTLS's E3/E4
// are in test/starttls. Each case runs the same input through both editions where that shows
// the difference, so removing a rule makes the two agree and the case fail.
import { describe, expect, it } from "vitest";
import { EDITIONS } from "../src/exchange/editions.js";
import {
  type AnonymousTlsSelection,
  type OutboundSelectionOptions,
  type Role,
  type StoreEntry,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
} from "../src/index.js";
import { directoryFor, entry, fixture, memoryStore, NOW, SERVER } from "./support/fixtures.js";

const PKI = {
  trustAnchors: [fixture("root-rsa").pem, fixture("root-ec").pem],
  intermediates: [fixture("inter-rsa").pem, fixture("inter-ec").pem],
};

function outbound(
  role: Role,
  edition: "2007" | "2016",
  entries: readonly StoreEntry[],
  overrides: Partial<OutboundSelectionOptions> = {},
): Promise<AnonymousTlsSelection> {
  return selectOutboundAnonymousTlsCert({
    role,
    edition,
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
    deliveryType: "SmtpRelayWithinAdSiteToEdge",
    server: SERVER,
    directory: directoryFor("leaf-rsa"),
    store: memoryStore(entries),
    now: NOW,
    ...PKI,
    ...overrides,
  });
}

describe("E1: the outbound anonymous gate by role", () => {
  it("a 2016 Mailbox server needs only the DeliveryType (no SmartHostAuthMechanism condition)", async () => {
    const passes = await outbound("Mailbox", "2016", [entry("leaf-rsa")], {
      sendConnector: { smartHostAuthMechanism: "None", addressSpaces: ["contoso.com"] },
    });
    expect(passes.outcome).toBe("selected");
    expect(passes.trace[0]?.rules).toEqual(["E1", "R1b"]);
    const fails = await outbound("Mailbox", "2016", [entry("leaf-rsa")], {
      deliveryType: "SmtpRelayToRemoteAdSite",
    });
    expect(fails).toMatchObject({ outcome: "not-attempted", failed: ["R1b"] });
  });

  it("a 2007 Hub with the same connector fails R1a: the Mailbox rule is 2016's only", async () => {
    const result = await outbound("HubTransport", "2007", [entry("leaf-rsa")], {
      sendConnector: { smartHostAuthMechanism: "None", addressSpaces: ["contoso.com"] },
    });
    expect(result).toMatchObject({ outcome: "not-attempted", failed: ["R1a"] });
  });

  it("a 2016 Edge is gated as in R2", async () => {
    const result = await outbound("EdgeTransport", "2016", [entry("leaf-rsa")], {
      sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["contoso.com"] },
    });
    expect(result).toMatchObject({ outcome: "not-attempted", failed: ["R2b"] });
  });

  it("both roles still need the directory value (R3–R5): empty is no-certificate, 12012 at start-up", async () => {
    const result = await outbound("Mailbox", "2016", [entry("leaf-rsa")], {
      directory: { readInternalTransportCertificate: async () => null },
      phase: "startup",
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-empty" });
    expect(result.events.map((e) => e.id)).toEqual([12012]);
  });

  it("a role of the other edition is misuse (ERR_INVALID_ROLE), before any I/O", async () => {
    const store = memoryStore([entry("leaf-rsa")]);
    await expect(outbound("HubTransport", "2016", [], { store })).rejects.toMatchObject({
      code: "ERR_INVALID_ROLE",
      field: "role",
    });
    await expect(outbound("Mailbox", "2007", [], { store })).rejects.toMatchObject({
      code: "ERR_INVALID_ROLE",
    });
    expect(store.calls).toBe(0);
    // An edition that does not exist is a TypeError, like any other wrong option.
    await expect(
      outbound("EdgeTransport", "2010" as "2007", [entry("leaf-rsa")]),
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe("E2: in 2016 the outbound anonymous process ends after R7", () => {
  it("no domain list, eligibility, ranking or 1037, even when a newer eligible certificate exists", async () => {
    // leaf-ec is newer and valid PKI: 2007 ranks it first and logs 1037 (A1).
    const entries = [entry("leaf-rsa"), entry("leaf-ec")];
    const y2007 = await outbound("EdgeTransport", "2007", entries);
    expect(y2007.events.map((e) => e.id)).toEqual([1037]);
    const y2016 = await outbound("EdgeTransport", "2016", entries);
    expect(y2016).toMatchObject({
      outcome: "selected",
      edition: "2016",
      thumbprint: fixture("leaf-rsa").thumbprint,
      bestCandidate: null,
      thumbprintMatches: true,
    });
    expect(y2016.events).toEqual([]);
    expect(y2016.trace.map((s) => s.step)).toEqual([
      "role-gate",
      "directory-lookup",
      "store-lookup",
      "expiry",
    ]);
    // It still sends the validated chain.
    expect(y2016.outcome === "selected" ? y2016.chain.length : 0).toBe(2);
  });

  it("an expired directory certificate is still used, with 12015 at Information (E6)", async () => {
    const result = await outbound("Mailbox", "2016", [entry("expired")], {
      directory: directoryFor("expired"),
    });
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: fixture("expired").thumbprint,
    });
    expect(result.events.map((e) => [e.id, e.level])).toEqual([[12015, "Information"]]);
  });
});

describe("E5: inbound anonymous TLS is the same in both editions", () => {
  it("the same decision, trace and events (their levels aside, E6)", async () => {
    const run = (edition: "2007" | "2016") =>
      selectInboundAnonymousTlsCert({
        edition,
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        directory: directoryFor("expiring-soon"),
        store: memoryStore([entry("expiring-soon"), entry("leaf-rsa")]),
        now: NOW,
        expiryWarning: { days: 30 },
      });
    const [a, b] = await Promise.all([run("2007"), run("2016")]);
    expect({ ...b, edition: "2007", events: b.events.map((e) => ({ ...e, level: "-" })) }).toEqual({
      ...a,
      events: a.events.map((e) => ({ ...e, level: "-" })),
    });
    expect(a.events.map((e) => [e.id, e.level])).toEqual([[12017, "Warning"]]);
    expect(b.events.map((e) => [e.id, e.level])).toEqual([[12017, "Information"]]);
  });
});

describe("E6: event levels per edition", () => {
  it("the editions table says what the events carry", () => {
    expect(EDITIONS["2007"].levels).toEqual({
      12014: "Warning",
      12015: "Warning",
      12017: "Warning",
    });
    expect(EDITIONS["2016"].levels).toEqual({
      12014: "Error",
      12015: "Information",
      12017: "Information",
    });
  });

  it("12015 is a Warning in 2007 and Information in 2016; 12013 stays an Error", async () => {
    const expired = [entry("expired")];
    for (const [edition, level] of [
      ["2007", "Warning"],
      ["2016", "Information"],
    ] as const) {
      const result = await outbound("EdgeTransport", edition, expired, {
        directory: directoryFor("expired"),
      });
      expect(result.events.find((e) => e.id === 12015)?.level).toBe(level);
      const missing = await outbound("EdgeTransport", edition, []);
      expect(missing.events.map((e) => [e.id, e.level])).toEqual([[12013, "Error"]]);
    }
  });
});
