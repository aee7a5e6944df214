// Issue 18, case by case, on both paths (the plain functions and the prepared selector):
// trust verdicts for certificates with inverted, equal and one-millisecond validity periods at
// every level of a chain (A3, A4); results that share no writable bytes; every result frozen
// whichever step decided it; onEvent handlers that throw or write into their events; callers
// that change what they passed after the call; and the `profile` option (A3).
import { beforeAll, describe, expect, it } from "vitest";
import { createSelector, type PreparedOutboundOptions } from "../../src/exchange/selector.js";
import {
  type CertStore,
  type ExchangeEvent,
  type Selection,
  type StoreEntry,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import {
  DAY,
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  hangingStore,
  memoryStore,
  NOW,
  rejectingDirectory,
  staticDirectory,
  throwingStore,
} from "../support/fixtures.js";
import { type CertSpec, forgeCertificate, type NameSpec, OID } from "../support/forge.js";

const HOUR = 3_600_000;
const at = (ms: number) => new Date(NOW.getTime() + ms);

const ROOT: NameSpec = [
  ["O", "Isolation Tests"],
  ["CN", "Isolation Root"],
];
const CA: NameSpec = [
  ["O", "Isolation Tests"],
  ["CN", "Isolation Issuing CA"],
];
const CA_EXTENSIONS = {
  basicConstraints: { ca: true },
  keyUsage: ["keyCertSign", "cRLSign"],
} as const;
const LEAF_EXTENSIONS = {
  keyUsage: ["digitalSignature", "keyEncipherment"],
  eku: [OID.serverAuth],
  san: ["mail.contoso.com"],
} as const;

type Window = { readonly notBefore: Date; readonly notAfter: Date };
const VALID: Window = { notBefore: at(-100 * DAY), notAfter: at(100 * DAY) };

let serial = 0x5000;
async function forge(spec: Omit<CertSpec, "serial">): Promise<Uint8Array> {
  serial += 1;
  return forgeCertificate({ ...spec, serial });
}

const root = (window: Window = VALID) =>
  forge({ subject: ROOT, key: "p384-2", ...CA_EXTENSIONS, ...window });
const issuingCa = (window: Window = VALID, critical = true) =>
  forge({
    subject: CA,
    issuer: ROOT,
    key: "rsa-6",
    signer: "p384-2",
    ...CA_EXTENSIONS,
    basicConstraints: { ca: true, critical },
    ...window,
  });
const leaf = (window: Window = VALID) =>
  forge({
    subject: [["CN", "mail.contoso.com"]],
    issuer: CA,
    key: "p256-2",
    signer: "rsa-6",
    ...LEAF_EXTENSIONS,
    ...window,
  });
const selfSigned = () =>
  forge({ subject: [["CN", "mail.contoso.com"]], key: "p256-3", ...LEAF_EXTENSIONS, ...VALID });

const storeEntry = (der: Uint8Array): StoreEntry => ({
  certificate: der,
  hasPrivateKey: true,
  services: ["SMTP"],
});
const thumbprintOf = (der: Uint8Array) => parseCertificate(der).thumbprint;

function edgeSession(directory: string, now: Date, extra: Partial<PreparedOutboundOptions> = {}) {
  return { ...edgeOptions(), directory: staticDirectory(directory), now, ...extra };
}

/** Paths of everything in `value` a caller could change (bytes and `cause` are the exceptions). */
function writable(value: unknown, path = "result"): string[] {
  if (typeof value !== "object" || value === null) return [];
  if (value instanceof Uint8Array) return [];
  if (value instanceof Date) {
    try {
      (value as Date).setTime(0);
      return [`${path} (a Date whose setters work)`];
    } catch {
      return Object.isFrozen(value) ? [] : [path];
    }
  }
  const own = Object.isFrozen(value) ? [] : [path];
  const children = Object.entries(value).flatMap(([key, child]) =>
    key === "cause" ? [] : writable(child, `${path}.${key}`),
  );
  return [...own, ...children];
}

/** Every byte array a result holds. */
function bytesOf(selection: Selection): Uint8Array[] {
  if (selection.outcome !== "selected") return [];
  const entryBytes = selection.entry.certificate;
  return [...selection.chain, ...(entryBytes instanceof Uint8Array ? [entryBytes] : [])];
}

function flipAll(selection: Selection): void {
  for (const bytes of bytesOf(selection)) {
    for (let i = 0; i < bytes.length; i += 7) bytes[i]! ^= 0xff;
  }
}

/** No byte of one array is a byte of another (views into one buffer may sit side by side). */
function disjoint(arrays: readonly Uint8Array[]): boolean {
  return arrays.every((a, i) =>
    arrays.every(
      (b, j) =>
        i === j ||
        a.buffer !== b.buffer ||
        a.byteOffset + a.byteLength <= b.byteOffset ||
        b.byteOffset + b.byteLength <= a.byteOffset,
    ),
  );
}

describe("A3/A4: trust verdicts for inverted, equal and 1 ms validity periods (issue 18, item 1)", () => {
  it("the issue's case: notBefore after notAfter gives the plain function's reason at every time", async () => {
    const anchor = await root();
    const ca = await issuingCa();
    const x = await selfSigned();
    const l = await leaf({ notBefore: at(10 * DAY), notAfter: at(-10 * DAY) });
    const store = memoryStore([storeEntry(x), storeEntry(l)]);
    const pool = { trustAnchors: [anchor], intermediates: [ca] };
    const selector = createSelector({ store, ...pool });
    // Before both dates, between them (after notAfter, before notBefore), after both: the old
    // cache keyed the first two as one state and replayed "not-yet-valid" in the second.
    const reasons: unknown[] = [];
    for (const t of [-20 * DAY, -10 * DAY, -10 * DAY + 1, 0, 10 * DAY - 1, 10 * DAY, 20 * DAY]) {
      const options = edgeSession(thumbprintOf(x), at(t));
      const ours = await selector.selectOutbound(options);
      const theirs = await selectOutboundAnonymousTlsCert({ ...options, store, ...pool });
      expect(ours).toEqual(theirs);
      const verdict = ours.certificates[1]!;
      reasons.push(verdict.status === "eligible" ? verdict.trust : verdict.status);
    }
    // The validator checks expiry first (RFC 5280 §6.1.3 (a)(2) lists no order; ours is fixed).
    expect(reasons).toContainEqual(expect.objectContaining({ code: "expired" }));
  });

  const odd: Record<string, (base: number) => Window> = {
    inverted: (b) => ({ notBefore: at(b + 5 * DAY), notAfter: at(b - 5 * DAY) }),
    equal: (b) => ({ notBefore: at(b), notAfter: at(b) }),
    "one millisecond": (b) => ({ notBefore: at(b), notAfter: at(b + 1) }),
  };
  for (const [shape, window] of Object.entries(odd)) {
    for (const level of ["leaf", "intermediate", "anchor"] as const) {
      it(`a ${shape} period on the ${level}: every boundary, walked forward and backward`, async () => {
        const base = HOUR;
        const dates = (l: typeof level) => (l === level ? window(base) : VALID);
        const anchor = await root(dates("anchor"));
        const ca = await issuingCa(dates("intermediate"));
        const l = await leaf(dates("leaf"));
        const x = await selfSigned();
        const store = memoryStore([storeEntry(l), storeEntry(x)]);
        const pool = { trustAnchors: [anchor], intermediates: [ca] };
        const times = new Set<number>();
        for (const der of [anchor, ca, l]) {
          const c = parseCertificate(der);
          for (const edge of [c.notBefore.getTime(), c.notAfter.getTime()]) {
            for (const d of [-1, 0, 1]) times.add(edge + d);
          }
        }
        const forward = [...times].sort((a, b) => a - b);
        const directory = thumbprintOf(l);
        for (const walk of [forward, [...forward].reverse()]) {
          // One selector per walk: every verdict it gives after the first is from its caches.
          const selector = createSelector({ store, ...pool });
          for (const t of walk) {
            const options = edgeSession(directory, new Date(t));
            const ours = await selector.selectOutbound(options);
            const theirs = await selectOutboundAnonymousTlsCert({ ...options, store, ...pool });
            expect(ours, `at ${new Date(t).toISOString()}`).toEqual(theirs);
          }
        }
      });
    }
  }
});

describe("no shared mutable bytes (issue 18, item 2)", () => {
  let anchor: Uint8Array;
  let ca: Uint8Array;
  let l: Uint8Array;
  beforeAll(async () => {
    anchor = await root();
    ca = await issuingCa();
    l = await leaf();
  });

  it("writing into a result's chain and entry changes no later session, on either path", async () => {
    const stored = new Uint8Array(l);
    const store = memoryStore([storeEntry(stored)]);
    const pool = { trustAnchors: [new Uint8Array(anchor)], intermediates: [new Uint8Array(ca)] };
    const selector = createSelector({ store, ...pool });
    const options = edgeSession(thumbprintOf(l), NOW);
    const first = await selector.selectOutbound(options);
    const plainFirst = await selectOutboundAnonymousTlsCert({ ...options, store, ...pool });
    expect(first.outcome).toBe("selected");
    if (first.outcome !== "selected" || plainFirst.outcome !== "selected") return;
    expect(first.chain).toEqual([l, ca]);
    // Each result owns its bytes: none is the store's, a trust input's, or another result's.
    const all = [...bytesOf(first), ...bytesOf(plainFirst)];
    expect(disjoint([...all, stored, ...pool.trustAnchors, ...pool.intermediates])).toBe(true);
    // One buffer per result, shared with nothing outside it.
    expect(new Set(bytesOf(first).map((b) => b.buffer)).size).toBe(1);
    expect(bytesOf(plainFirst)[0]!.buffer).not.toBe(bytesOf(first)[0]!.buffer);
    first.chain[0]![20]! ^= 0xff;
    flipAll(first);
    flipAll(plainFirst);
    expect(stored).toEqual(l);
    expect(pool.intermediates[0]).toEqual(ca);
    const second = await selector.selectOutbound(options);
    const plainSecond = await selectOutboundAnonymousTlsCert({ ...options, store, ...pool });
    expect(second).toEqual(plainSecond);
    if (second.outcome !== "selected") throw new Error("expected a selection");
    expect(second.chain).toEqual([l, ca]);
    expect(second.entry.certificate).toEqual(l);
    expect(selector.stats().replayed).toBe(1);
  });

  it("inbound too", async () => {
    const store = memoryStore([storeEntry(l)]);
    const pool = { trustAnchors: [anchor], intermediates: [ca] };
    const selector = createSelector({ store, ...pool });
    const options = {
      directory: staticDirectory(thumbprintOf(l)),
      now: NOW,
      receiveConnector: { authMechanism: "ExchangeServer" },
    };
    const first = await selector.selectInbound(options);
    flipAll(first);
    const second = await selector.selectInbound(options);
    const plain = await selectInboundAnonymousTlsCert({ ...options, store, ...pool });
    expect(second).toEqual(plain);
    expect(bytesOf(second)).toEqual([l, ca, l]);
  });

  it("a caller who reuses its trust-anchor buffer after createSelector changes nothing", async () => {
    const anchors = [new Uint8Array(anchor)];
    const store = memoryStore([storeEntry(l)]);
    const selector = createSelector({ store, trustAnchors: anchors, intermediates: [ca] });
    anchors[0]!.fill(0);
    const result = await selector.selectOutbound(edgeSession(thumbprintOf(l), NOW));
    const verdict = result.certificates[0]!;
    expect(verdict.status === "eligible" && verdict.trust?.kind).toBe("pki");
  });
});

describe("every result frozen the same way, whichever step decided it (issue 18, item 3)", () => {
  const sessions: Record<string, () => { options: PreparedOutboundOptions; store: CertStore }> = {
    "R2: the gate did not pass": () => ({
      options: {
        ...edgeSession(fixture("self-signed").thumbprint, NOW),
        sendConnector: { smartHostAuthMechanism: "None", addressSpaces: ["SMTP:--;1"] },
      },
      store: memoryStore([entry("self-signed")]),
    }),
    "R4: the directory rejects": () => ({
      options: { ...edgeSession("", NOW), directory: rejectingDirectory() },
      store: memoryStore([entry("self-signed")]),
    }),
    "A15: the directory is empty": () => ({
      options: { ...edgeSession("", NOW), directory: staticDirectory(null) },
      store: memoryStore([entry("self-signed")]),
    }),
    "A16: the store throws": () => ({
      options: edgeSession(fixture("self-signed").thumbprint, NOW),
      store: throwingStore(),
    }),
    "A16: the store hangs until the signal aborts": () => ({
      options: {
        ...edgeSession(fixture("self-signed").thumbprint, NOW),
        signal: AbortSignal.timeout(5),
      },
      store: hangingStore(),
    }),
    "R6: not in the store": () => ({
      options: edgeSession(fixture("self-signed").thumbprint, NOW),
      store: memoryStore([entry("leaf-ec")]),
    }),
    "R7: selected, expired, 1037": () => ({
      options: { ...edgeSession(fixture("expired").thumbprint, NOW), expiryWarning: { days: 9 } },
      store: memoryStore([entry("expired"), entry("self-signed")]),
    }),
  };
  for (const [name, make] of Object.entries(sessions)) {
    it(name, async () => {
      // Fresh options per call: a signal that has fired would stop the next call earlier.
      const { store } = make();
      const selector = createSelector({ store });
      const results = [
        await selector.selectOutbound(make().options),
        await selector.selectOutbound(make().options),
        await selectOutboundAnonymousTlsCert({ ...make().options, store }),
      ];
      expect(results[0]).toEqual(results[2]);
      for (const result of results) {
        expect(writable(result)).toEqual([]);
        expect(() => {
          (result as { outcome: string }).outcome = "selected";
        }).toThrow(TypeError);
      }
      if (results[0]!.outcome === "not-attempted") {
        expect(() => (results[0] as unknown as { failed: string[] }).failed.push("x")).toThrow(
          TypeError,
        );
      }
    });
  }
});

describe("freezing a result never freezes what the caller owns", () => {
  it("thrown errors, store entries, services and connector settings stay the caller's", async () => {
    const directoryError = new Error("LDAP down");
    const storeError = new Error("access denied");
    const services = ["SMTP"];
    const stored = { ...entry("self-signed"), services };
    const options = edgeSession(fixture("self-signed").thumbprint, NOW);
    const failing = { ...options, directory: rejectingDirectory(directoryError) };
    const broken: CertStore = {
      list() {
        throw storeError;
      },
    };
    const store = memoryStore([stored]);
    const results = [
      await selectOutboundAnonymousTlsCert({ ...failing, store }),
      await selectOutboundAnonymousTlsCert({ ...options, store: broken }),
      await selectOutboundAnonymousTlsCert({ ...options, store }),
      await createSelector({ store }).selectOutbound(failing),
      await createSelector({ store: broken }).selectOutbound(options),
      await createSelector({ store }).selectOutbound(options),
    ];
    expect(results.map((r) => r.outcome)).toEqual([
      "no-certificate",
      "no-certificate",
      "selected",
      "no-certificate",
      "no-certificate",
      "selected",
    ]);
    // `cause` is handed back as it was thrown, not frozen.
    expect((results[0] as { cause?: unknown }).cause).toBe(directoryError);
    for (const mine of [directoryError, storeError, stored, services, options.sendConnector]) {
      expect(Object.isFrozen(mine)).toBe(false);
    }
    expect(Object.isFrozen(options.sendConnector.addressSpaces)).toBe(false);
  });
});

describe("onEvent can break nothing (issue 18)", () => {
  const store = () => memoryStore([entry("expired"), entry("self-signed")]);
  const handlers: Record<string, (seen: ExchangeEvent[]) => (event: ExchangeEvent) => void> = {
    "throws on every event": (seen) => (event) => {
      seen.push(event);
      throw new Error("logger down");
    },
    "throws something that is not an Error": (seen) => (event) => {
      seen.push(event);
      throw undefined;
    },
    "writes into its event": (seen) => (event) => {
      seen.push(event);
      (event as { message: string }).message = "rewritten";
      (event.data as { thumbprint?: string }).thumbprint = "0".repeat(40);
    },
    "is async and rejects": (seen) => (event) => {
      seen.push(event);
      // Returned to a `void` signature, as a TypeScript caller may: the rejection is dropped
      // (unhandled, it would fail this test run).
      return Promise.reject(new Error("async logger down")) as unknown as undefined;
    },
    "writes into its event's date": (seen) => (event) => {
      seen.push(event);
      if ("notAfter" in event.data) event.data.notAfter.setTime(0);
    },
  };
  for (const [name, handler] of Object.entries(handlers)) {
    it(`a handler that ${name}: the same selection as without it, on both paths`, async () => {
      const s = store();
      const quiet = await selectOutboundAnonymousTlsCert({
        ...edgeSession(fixture("expired").thumbprint, NOW),
        store: s,
      });
      const seen: ExchangeEvent[] = [];
      const options = edgeSession(fixture("expired").thumbprint, NOW, { onEvent: handler(seen) });
      const selector = createSelector({ store: s });
      // Twice on the selector: decided, then replayed.
      expect(await selector.selectOutbound(options)).toEqual(quiet);
      expect(await selector.selectOutbound(options)).toEqual(quiet);
      expect(await selectOutboundAnonymousTlsCert({ ...options, store: s })).toEqual(quiet);
      // Every event reached the handler every time, the ones after a throw included.
      expect(seen).toEqual([...quiet.events, ...quiet.events, ...quiet.events]);
      expect(quiet.events.map((e) => e.id)).toEqual([12015, 1037]);
    });
  }
});

describe("callers that change what they passed, after the call", () => {
  it("expiryWarning, now and the connector are read once, when the selection starts", async () => {
    const s = memoryStore([entry("expiring-soon"), entry("self-signed")]);
    const make = () => ({
      ...edgeSession(fixture("expiring-soon").thumbprint, new Date(NOW.getTime())),
      sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
      expiryWarning: { days: 30 },
    });
    const expected = await selectOutboundAnonymousTlsCert({ ...make(), store: s });
    expect(expected.events.map((e) => e.id)).toContain(12017);
    const selector = createSelector({ store: s });
    for (const run of [
      (o: ReturnType<typeof make>) => selector.selectOutbound(o),
      (o: ReturnType<typeof make>) => selectOutboundAnonymousTlsCert({ ...o, store: s }),
    ]) {
      const options = make();
      const pending = run(options);
      options.expiryWarning.days = 0;
      options.now.setTime(0);
      options.sendConnector.smartHostAuthMechanism = "None";
      expect(await pending).toEqual(expected);
    }
  });
});

describe("A3: the validation profile (`profile`)", () => {
  let anchor: Uint8Array;
  let laxCa: Uint8Array;
  let l: Uint8Array;
  beforeAll(async () => {
    anchor = await root();
    // RFC 5280 §4.2.1.9: a CA MUST mark basicConstraints critical; a relying party (rfc5280
    // profile) accepts it anyway, the strict profile does not.
    laxCa = await issuingCa(VALID, false);
    l = await leaf();
  });
  const trustOf = (selection: Selection) => {
    const verdict = selection.certificates[0]!;
    return verdict.status === "eligible" ? verdict.trust?.kind : verdict.status;
  };

  it("outbound: valid PKI by default and with rfc5280, untrusted with strict", async () => {
    const store = memoryStore([storeEntry(l)]);
    const pool = { trustAnchors: [anchor], intermediates: [laxCa] };
    const options = { ...edgeSession(thumbprintOf(l), NOW), store, ...pool };
    expect(trustOf(await selectOutboundAnonymousTlsCert(options))).toBe("pki");
    expect(trustOf(await selectOutboundAnonymousTlsCert({ ...options, profile: "rfc5280" }))).toBe(
      "pki",
    );
    const strict = await selectOutboundAnonymousTlsCert({ ...options, profile: "strict" });
    expect(trustOf(strict)).toBe("untrusted");
    const verdict = strict.certificates[0]!;
    expect(verdict.status === "eligible" && verdict.trust).toMatchObject({
      code: "basic-constraints-not-critical",
    });
    if (strict.outcome !== "selected") throw new Error("expected a selection");
    expect(strict.chain).toHaveLength(1);
    // Control: the same chain with a critical basicConstraints is valid PKI under strict too.
    const strictCa = await issuingCa(VALID, true);
    const control = await selectOutboundAnonymousTlsCert({
      ...options,
      intermediates: [strictCa],
      profile: "strict",
    });
    expect(trustOf(control)).toBe("pki");
  });

  it("inbound: the chain sent is the validated path by default, the leaf alone with strict", async () => {
    const store = memoryStore([storeEntry(l)]);
    const options = {
      directory: staticDirectory(thumbprintOf(l)),
      store,
      now: NOW,
      receiveConnector: { authMechanism: "ExchangeServer" },
      trustAnchors: [anchor],
      intermediates: [laxCa],
    };
    const lax = await selectInboundAnonymousTlsCert(options);
    const strict = await selectInboundAnonymousTlsCert({ ...options, profile: "strict" });
    expect(lax.outcome === "selected" && lax.chain.length).toBe(2);
    expect(strict.outcome === "selected" && strict.chain.length).toBe(1);
  });

  it("the prepared selector takes it per selector, and answers as the plain functions", async () => {
    const store = memoryStore([storeEntry(l)]);
    const pool = { trustAnchors: [anchor], intermediates: [laxCa] };
    const session = edgeSession(thumbprintOf(l), NOW);
    for (const profile of [undefined, "rfc5280", "strict"] as const) {
      const selector = createSelector({
        store,
        ...pool,
        ...(profile === undefined ? {} : { profile }),
      });
      const ours = await selector.selectOutbound(session);
      const theirs = await selectOutboundAnonymousTlsCert({
        ...session,
        store,
        ...pool,
        ...(profile === undefined ? {} : { profile }),
      });
      expect(ours).toEqual(theirs);
      expect(trustOf(ours)).toBe(profile === "strict" ? "untrusted" : "pki");
      const inbound = await selector.selectInbound({
        directory: session.directory,
        now: NOW,
        receiveConnector: { authMechanism: "ExchangeServer" },
      });
      expect(inbound.outcome === "selected" && inbound.chain.length).toBe(
        profile === "strict" ? 1 : 2,
      );
    }
  });

  it("misuse: a profile that is not one of the two is a TypeError everywhere", async () => {
    const store = memoryStore([storeEntry(l)]);
    const bad = "x509_strict" as unknown as "strict";
    await expect(
      selectOutboundAnonymousTlsCert({ ...edgeSession("", NOW), store, profile: bad }),
    ).rejects.toThrow(TypeError);
    await expect(
      selectInboundAnonymousTlsCert({
        directory: directoryFor("self-signed"),
        store,
        receiveConnector: { authMechanism: "ExchangeServer" },
        profile: bad,
      }),
    ).rejects.toThrow(TypeError);
    expect(() => createSelector({ store, profile: bad })).toThrow(TypeError);
    // Per session it is the selector's to set, like the store and trust anchors.
    const selector = createSelector({ store });
    await expect(
      selector.selectOutbound({
        ...edgeSession("", NOW),
        profile: "strict",
      } as PreparedOutboundOptions),
    ).rejects.toThrow(TypeError);
  });
});
