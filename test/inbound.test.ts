import { describe, expect, it } from "vitest";

import {
  type InboundSelectionOptions,
  InvalidSettingError,
  type Selection,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
} from "../src/index.js";
import {
  DAY,
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  memoryStore,
  NOW,
  staticDirectory,
  storeOf,
  throwingDirectory,
  throwingStore,
} from "./support/fixtures.js";

function inbound(
  overrides: Partial<InboundSelectionOptions> &
    Pick<InboundSelectionOptions, "directory" | "store">,
) {
  return selectInboundAnonymousTlsCert({
    receiveConnector: { authMechanism: "Tls, Integrated, ExchangeServer" },
    now: NOW,
    ...overrides,
  });
}

const ids = (selection: Selection) => selection.events.map((e) => e.id);

describe("I1: the Receive connector gate", () => {
  const directory = directoryFor("self-signed");
  const store = storeOf("self-signed");

  it.each([
    ["a comma-separated string", "Tls, Integrated, ExchangeServer"],
    ["an array", ["Tls", "ExchangeServer"]],
    ["any case and spacing", "tls,exchangeserver "],
    ["ExchangeServer alone", "ExchangeServer"],
  ])("I1: ExchangeServer in %s passes", async (_name, authMechanism) => {
    const result = await inbound({ receiveConnector: { authMechanism }, directory, store });
    expect(result.outcome).toBe("selected");
    expect(result.advertiseAnonymousTls).toBe(true);
  });

  it.each([
    ["Tls, Integrated", "Tls, Integrated"],
    ["None", "None"],
    ["an empty list", []],
  ])(
    "I1: %s does not include ExchangeServer → not advertised, nothing loaded",
    async (_name, authMechanism) => {
      const read = staticDirectory(fixture("self-signed").thumbprint);
      const result = await inbound({ receiveConnector: { authMechanism }, directory: read, store });
      expect(result).toMatchObject({
        outcome: "not-attempted",
        advertiseAnonymousTls: false,
        failed: ["I1"],
      });
      expect(read.calls).toBe(0); // no certificate is loaded: the directory is not even read
    },
  );

  it.each([["Kerberos"], ["Tls, Bogus"], ["None, ExchangeServer"], [42]])(
    "I1: %s is an error whose code names the field",
    async (authMechanism) => {
      await expect(
        inbound({ receiveConnector: { authMechanism: authMechanism as string }, directory, store }),
      ).rejects.toThrow(InvalidSettingError);
      await expect(
        inbound({ receiveConnector: { authMechanism: authMechanism as string }, directory, store }),
      ).rejects.toThrow(expect.objectContaining({ code: "ERR_INVALID_AUTH_MECHANISM" }));
    },
  );
});

describe("I2–I4: the shared steps", () => {
  it("I2: unreadable at start-up → 12012, not advertised", async () => {
    const result = await inbound({
      directory: throwingDirectory(),
      store: storeOf("self-signed"),
      phase: "startup",
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
    expect(result.events).toEqual([expect.objectContaining({ id: 12012, rule: "I2" })]);
  });

  it("I2: the trace cites the receiving side's rule only, once", async () => {
    const result = await inbound({
      directory: staticDirectory(""),
      store: storeOf("self-signed"),
      phase: "startup",
    });
    expect(result.trace.find((t) => t.step === "directory-lookup")?.rules).toEqual(["I2"]);
  });

  it("I2: null in a session → not advertised, no event", async () => {
    const result = await inbound({
      directory: staticDirectory(null),
      store: storeOf("self-signed"),
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-empty" });
    expect(result.events).toEqual([]);
  });

  it("I3: not in the store → 12013, not advertised", async () => {
    const result = await inbound({
      directory: directoryFor("leaf-ec"),
      store: storeOf("self-signed"),
    });
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "not-in-store",
      advertiseAnonymousTls: false,
    });
    expect(result.events).toEqual([expect.objectContaining({ id: 12013, rule: "I3" })]);
  });

  it("I3/A9: without a private key → 12013", async () => {
    const result = await inbound({
      directory: directoryFor("self-signed"),
      store: memoryStore([entry("self-signed", { hasPrivateKey: false })]),
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "no-private-key" });
  });

  it("I3/A16: a store that cannot be listed → 12013", async () => {
    const result = await inbound({
      directory: directoryFor("self-signed"),
      store: throwingStore(),
    });
    expect(ids(result)).toEqual([12013]);
  });

  it("I4: expired → 12015, still advertised with it", async () => {
    const result = await inbound({
      directory: directoryFor("expired"),
      store: storeOf("expired", "self-signed-newest"),
    });
    expect(result).toMatchObject({
      outcome: "selected",
      advertiseAnonymousTls: true,
      thumbprint: fixture("expired").thumbprint,
    });
    expect(result.events).toEqual([expect.objectContaining({ id: 12015, rule: "I4" })]);
  });

  it("no domain list, ranking or 1037 on the receiving side", async () => {
    const result = await inbound({
      directory: directoryFor("self-signed"),
      store: storeOf("self-signed", "self-signed-newest"),
    });
    expect(result.trace.map((t) => t.step)).toEqual([
      "receive-connector-gate",
      "directory-lookup",
      "store-lookup",
      "expiry",
    ]);
    expect(result).toMatchObject({ bestCandidate: null, thumbprintMatches: true });
    expect(result.events).toEqual([]);
  });

  it("the chain sent includes the intermediate of a valid path", async () => {
    const result = await inbound({
      directory: directoryFor("leaf-rsa"),
      store: storeOf("leaf-rsa"),
      trustAnchors: [fixture("root-rsa").der],
      intermediates: [fixture("inter-rsa").der],
    });
    if (result.outcome !== "selected") throw new Error(result.outcome);
    expect(result.chain).toEqual([fixture("leaf-rsa").der, fixture("inter-rsa").der]);
  });
});

describe("12017: expiring soon (option, both directions)", () => {
  // 'expiring-soon' expires at NOW + 5 days.
  const notAfter = NOW.getTime() + 5 * DAY;
  const run = (days: number | undefined, now = NOW) =>
    inbound({
      directory: directoryFor("expiring-soon"),
      store: storeOf("expiring-soon"),
      now,
      ...(days === undefined ? {} : { expiryWarning: { days } }),
    });

  it("off by default (Exchange 2007 had no such warning)", async () => {
    expect(ids(await run(undefined))).toEqual([]);
  });

  it("inside the window: 12017 with the hours remaining", async () => {
    const result = await run(30);
    expect(result.events).toEqual([
      expect.objectContaining({
        id: 12017,
        level: "Warning",
        name: "InternalTransportCertificateExpiresSoon",
        data: expect.objectContaining({ hoursRemaining: 120 }),
      }),
    ]);
    expect(result.events[0]?.message).toBe(
      `An internal transport certificate will expire soon. Thumbprint:${fixture("expiring-soon").thumbprint}, hours remaining: 120`,
    );
  });

  it("outside the window: nothing", async () => {
    expect(ids(await run(4))).toEqual([]);
  });

  it("at the edge of the window: warned (inclusive)", async () => {
    expect(ids(await run(5))).toEqual([12017]);
    expect(ids(await run(5, new Date(NOW.getTime() - 1)))).toEqual([]);
  });

  it("never together with 12015: once expired only 12015", async () => {
    const result = await run(30, new Date(notAfter + 1));
    expect(ids(result)).toEqual([12015]);
  });

  it("the outbound side honours it too", async () => {
    const result = await selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: directoryFor("expiring-soon"),
      store: storeOf("expiring-soon"),
      expiryWarning: { days: 7 },
    });
    expect(ids(result)).toEqual([12017]);
  });

  it("a negative or non-numeric window is misuse", async () => {
    await expect(run(-1)).rejects.toThrow(TypeError);
  });
});

describe("both ends of one session", () => {
  it("the same directory and store seen from the sending and the receiving side", async () => {
    const directory = directoryFor("self-signed");
    const store = storeOf("self-signed", "self-signed-newest", "leaf-ec");
    const sending = await selectOutboundAnonymousTlsCert({ ...edgeOptions(), directory, store });
    const receiving = await inbound({ directory, store });
    if (sending.outcome !== "selected" || receiving.outcome !== "selected")
      throw new Error("expected both selected");
    // Both use the directory's certificate (A1), so the session is anonymous TLS on both ends …
    expect(sending.thumbprint).toBe(receiving.thumbprint);
    // … but only the sender ranks, finds a newer candidate and logs 1037.
    expect(ids(sending)).toEqual([1037]);
    expect(ids(receiving)).toEqual([]);
    expect(sending.bestCandidate).toBe(fixture("self-signed-newest").thumbprint);
  });

  it("12013 on both sides when the store lacks the directory's certificate", async () => {
    const directory = directoryFor("leaf-rsa");
    const store = storeOf("self-signed");
    const sending = await selectOutboundAnonymousTlsCert({ ...edgeOptions(), directory, store });
    const receiving = await inbound({ directory, store });
    expect([ids(sending), ids(receiving)]).toEqual([[12013], [12013]]);
    expect(sending.events[0]?.message).toBe(receiving.events[0]?.message);
  });
});
