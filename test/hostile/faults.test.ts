// Faults in what the selection calls (R4, R5, R6, A16): a directory or store that throws,
// rejects, returns the wrong type or never answers (an AbortSignal gets past it); a store that
// changes while a selection runs (the snapshot decides); concurrent selections (no shared state).
import { describe, expect, it } from "vitest";

import type {
  CertStore,
  Directory,
  ExchangeEvent,
  Selection,
  StoreEntry,
} from "../../src/index.js";
import {
  entry,
  fixture,
  hangingDirectory,
  hangingStore,
  memoryStore,
  rejectingDirectory,
  staticDirectory,
  throwingDirectory,
  throwingStore,
} from "../support/fixtures.js";
import { canonical, outbound } from "./support.js";

const D = fixture("self-signed");
const goodStore = () => memoryStore([entry("self-signed", { withKey: true })]);
const TRUST = {
  trustAnchors: [fixture("root-rsa").der, fixture("root-ec").der],
  intermediates: [fixture("inter-rsa").der, fixture("inter-ec").der],
};

const directoryReturning = (value: unknown): Directory => ({
  readInternalTransportCertificate: () => Promise.resolve(value as string),
});
const storeListing = (value: unknown): CertStore => ({ list: () => value as StoreEntry[] });

/** Resolves with the selection, or "pending" if it has not settled within `ms`. */
async function settleWithin(promise: Promise<Selection>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
  });
  try {
    return await Promise.race([promise, pending]);
  } finally {
    clearTimeout(timer);
  }
}

describe("R4: a directory that fails is 'cannot be read', and the cause is kept", () => {
  const error = new Error("LDAP_SERVER_DOWN");
  const revoked = (() => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  })();

  it.each([
    ["throws an Error synchronously", throwingDirectory(error), error],
    ["throws a string", throwingDirectory("down"), "down"],
    ["throws a plain object", throwingDirectory({ status: 52 }), { status: 52 }],
    ["rejects with an Error", rejectingDirectory(error), error],
    ["rejects with a number", rejectingDirectory(49), 49],
    ["returns a number", directoryReturning(42), TypeError],
    ["returns a boolean", directoryReturning(true), TypeError],
    ["returns an object", directoryReturning({ thumbprint: D.thumbprint }), TypeError],
    ["returns an array of values", directoryReturning([D.thumbprint]), TypeError],
    ["returns a String object", directoryReturning(new String(D.thumbprint)), TypeError],
    ["returns a Uint16Array", directoryReturning(new Uint16Array(20)), TypeError],
    ["returns a DataView", directoryReturning(new DataView(D.der.buffer)), TypeError],
    ["returns a symbol", directoryReturning(Symbol("x")), TypeError],
    ["returns a revoked proxy", directoryReturning(revoked), TypeError],
    [
      "returns a thenable that rejects",
      {
        readInternalTransportCertificate: () =>
          ({
            // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point
            then: (_: unknown, reject: (e: unknown) => void) => reject(error),
          }) as unknown as Promise<string>,
      },
      error,
    ],
    [
      "has a method that is a getter that throws",
      Object.defineProperty({}, "readInternalTransportCertificate", {
        get: () => {
          throw error;
        },
      }) as Directory,
      "misuse",
    ],
  ] as const)("%s", async (_name, directory, cause) => {
    if (cause === "misuse") {
      // Reading the method itself throws: the options check reads it, so this is misuse.
      await expect(outbound({ directory, store: goodStore() })).rejects.toThrow(error);
      return;
    }
    const result = await outbound({ directory, store: goodStore() });
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "directory-unreadable",
      directoryThumbprint: null,
      advertiseAnonymousTls: false,
    });
    expect(result.events).toEqual([]); // a session (R5)
    expect(result.certificates).toEqual([]);
    if (result.outcome !== "no-certificate") return;
    if (cause === TypeError) expect(result.cause).toBeInstanceOf(TypeError);
    else expect(result.cause).toEqual(cause);
  });

  it("R4: a directory that returns undefined is read as a null value (A15: directory-empty)", async () => {
    const result = await outbound({ directory: directoryReturning(undefined), store: goodStore() });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-empty" });
  });

  it("R3: a directory that answers synchronously (not a Promise) is read", async () => {
    const directory = {
      readInternalTransportCertificate: () => D.thumbprint as unknown as Promise<string>,
    };
    const result = await outbound({ directory, store: goodStore() });
    expect(result).toMatchObject({ outcome: "selected", thumbprint: D.thumbprint });
  });

  it("R3: an ArrayBuffer is read as bytes", async () => {
    const result = await outbound({
      directory: directoryReturning(D.der.slice().buffer),
      store: goodStore(),
    });
    expect(result).toMatchObject({ outcome: "selected", directoryThumbprint: D.thumbprint });
  });

  it("R5: at start-up a failing directory logs 12012 with the cause described", async () => {
    const result = await outbound({
      directory: throwingDirectory(error),
      store: goodStore(),
      phase: "startup",
    });
    expect(result.events).toMatchObject([
      { id: 12012, rule: "R5", data: { reason: "directory-unreadable" } },
    ]);
    expect(result.events[0]?.id === 12012 && result.events[0].data.cause).toContain(
      "LDAP_SERVER_DOWN",
    );
  });

  // The cause is described for the trace and 12012: describing it must not throw either.
  it("R4: a thrown value whose description throws is still 'cannot be read'", async () => {
    const hostile = new Error("x");
    Object.defineProperty(hostile, "message", {
      get() {
        throw new Error("gotcha");
      },
    });
    const result = await outbound({ directory: throwingDirectory(hostile), store: goodStore() });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
  });

  it("R4: a revoked Proxy thrown by the directory is still 'cannot be read'", async () => {
    const result = await outbound({ directory: throwingDirectory(revoked), store: goodStore() });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
  });
});

describe("R4: a directory that never answers", () => {
  it("R4: without a signal the selection waits (the caller owns the deadline)", async () => {
    const pending = outbound({ directory: hangingDirectory(), store: goodStore() });
    expect(await settleWithin(pending, 50)).toBe("pending");
  });

  it("R4: aborting the signal makes it 'cannot be read', with the abort reason as cause", async () => {
    const controller = new AbortController();
    const pending = outbound({
      directory: hangingDirectory(),
      store: goodStore(),
      signal: controller.signal,
      phase: "startup",
    });
    const reason = new Error("transport shutting down");
    setTimeout(() => controller.abort(reason), 10);
    const result = await settleWithin(pending, 2_000);
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "directory-unreadable",
      cause: reason,
    });
    // At start-up that is 12012, like any other unreadable attribute (R5).
    expect(result !== "pending" && result.events.map((e) => e.id)).toEqual([12012]);
  });

  it("R4: AbortSignal.timeout() gives a TimeoutError cause", async () => {
    const result = await outbound({
      directory: hangingDirectory(),
      store: goodStore(),
      signal: AbortSignal.timeout(20),
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
    expect(result.outcome === "no-certificate" && result.cause).toMatchObject({
      name: "TimeoutError",
    });
  });

  it("R4: an already-aborted signal stops at the directory, and the directory sees the signal", async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const directory: Directory = {
      readInternalTransportCertificate(options) {
        seen.push(options?.signal);
        return new Promise(() => {});
      },
    };
    const store = goodStore();
    const result = await outbound({ directory, store, signal: AbortSignal.abort() });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "directory-unreadable" });
    expect(result.outcome === "no-certificate" && result.cause).toMatchObject({
      name: "AbortError",
    });
    expect(store.calls).toBe(0);
    expect(seen.every((signal) => signal?.aborted === true)).toBe(true);
  });
});

describe("R6/A16: a store that fails is 'not found' (12013), and the cause is kept", () => {
  const error = new Error("access denied to LocalMachine\\My");

  it.each([
    ["throws", throwingStore(error), error],
    ["throws a string", throwingStore("denied"), "denied"],
    ["rejects", { list: () => Promise.reject(error) }, error],
    ["returns null", storeListing(null), "StoreReadError"],
    ["returns undefined", storeListing(undefined), "StoreReadError"],
    ["returns an object", storeListing({ 0: entry("self-signed") }), "StoreReadError"],
    ["returns a Set of entries", storeListing(new Set([entry("self-signed")])), "StoreReadError"],
    ["returns a string", storeListing("entries"), "StoreReadError"],
    ["returns a number", storeListing(1), "StoreReadError"],
    [
      "returns an array whose iterator throws",
      storeListing(
        Object.assign([entry("self-signed")], {
          [Symbol.iterator]() {
            throw error;
          },
        }),
      ),
      error,
    ],
  ] as const)("%s", async (_name, store, cause) => {
    const result = await outbound({ directory: staticDirectory(D.thumbprint), store });
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "not-in-store",
      directoryThumbprint: D.thumbprint,
    });
    // 12013 is logged in a session too (R6 is not limited to start-up).
    expect(result.events).toMatchObject([
      { id: 12013, rule: "R6", data: { thumbprint: D.thumbprint, reason: "not-in-store" } },
    ]);
    expect(result.certificates).toEqual([]);
    if (result.outcome !== "no-certificate") return;
    if (cause === "StoreReadError") expect(result.cause).toMatchObject({ name: "Error" });
    else expect(result.cause).toEqual(cause);
    const step = result.trace.find((t) => t.step === "store-lookup");
    expect(step).toMatchObject({ status: "failed", data: { reason: "not-in-store" } });
  });

  it("A16: a store that never answers, with the signal aborting: not-in-store, 12013, reason as cause", async () => {
    const controller = new AbortController();
    const reason = new Error("session closed");
    const pending = outbound({
      directory: staticDirectory(D.thumbprint),
      store: hangingStore(),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 10);
    const result = await settleWithin(pending, 2_000);
    expect(result).toMatchObject({
      outcome: "no-certificate",
      reason: "not-in-store",
      cause: reason,
    });
    expect(result !== "pending" && result.events.map((e) => e.id)).toEqual([12013]);
  });

  it("A16: an abort after the store was listed changes nothing (the signal guards the two reads)", async () => {
    // 12015 is raised after the store lookup; aborting then must not stop the selection.
    const controller = new AbortController();
    const result = await outbound({
      directory: staticDirectory(fixture("expired").thumbprint),
      store: memoryStore([entry("expired"), entry("self-signed")]),
      signal: controller.signal,
      onEvent: () => controller.abort(new Error("too late")),
    });
    expect(controller.signal.aborted).toBe(true);
    expect(result).toMatchObject({
      outcome: "selected",
      thumbprint: fixture("expired").thumbprint,
    });
  });

  it("A16: a store that throws a revoked Proxy is still 'not found'", async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const result = await outbound({
      directory: staticDirectory(D.thumbprint),
      store: throwingStore(proxy),
    });
    expect(result).toMatchObject({ outcome: "no-certificate", reason: "not-in-store" });
  });

  it("R6: list() is called exactly once per selection", async () => {
    const store = memoryStore([entry("self-signed"), entry("self-signed-newest")]);
    await outbound({ directory: staticDirectory(D.thumbprint), store, ...TRUST });
    expect(store.calls).toBe(1);
  });
});

describe("onEvent that throws", () => {
  it("issue 18: an exception from onEvent is dropped; every event is still delivered and the selection is unchanged", async () => {
    const options = { directory: staticDirectory(D.thumbprint), store: memoryStore([]) };
    const quiet = await outbound(options);
    const seen: number[] = [];
    const loud = await outbound({
      ...options,
      onEvent: (event) => {
        seen.push(event.id);
        throw new Error("logger down");
      },
    });
    expect(loud).toEqual(quiet);
    expect(seen).toEqual(quiet.events.map((event) => event.id));
    expect(seen.length).toBeGreaterThan(0);
  });
});

describe("snapshot: a store that changes while a selection runs cannot change it", () => {
  // The directory names the expired certificate, so 12015 is raised in the middle of the run
  // (after the store was listed, before eligibility and ranking): onEvent changes everything.
  const E = fixture("expired");
  // Fresh copies of the bytes: the mutations below must not reach the shared fixture cache.
  const entries = (): StoreEntry[] =>
    [
      entry("expired", { withKey: true }),
      entry("self-signed"),
      entry("self-signed-old"),
      entry("leaf-rsa"),
    ].map((e) => ({ ...e, certificate: new Uint8Array(e.certificate as Uint8Array) }));

  async function run(mutate?: (store: StoreEntry[]) => void) {
    const store = entries();
    const events: ExchangeEvent[] = [];
    const result = await outbound({
      directory: staticDirectory(E.thumbprint),
      store: { list: () => store },
      ...TRUST,
      onEvent: (event) => {
        events.push(event);
        mutate?.(store);
      },
    });
    return { result, events, store };
  }

  it("R7/snapshot: mutating the array and its entries from onEvent changes nothing", async () => {
    const { result: before } = await run();
    const { result: after, store } = await run((store) => {
      for (const e of store) {
        const writable = e as { -readonly [K in keyof StoreEntry]: StoreEntry[K] };
        if (writable.certificate instanceof Uint8Array) writable.certificate.fill(0);
        writable.hasPrivateKey = false;
        (writable.services as string[]).length = 0;
        writable.privateKey = "junk";
      }
      store.splice(0, store.length, entry("self-signed-newest"), entry("leaf-ec"));
    });
    expect(store).toHaveLength(2); // the mutation happened
    expect(canonical(after)).toEqual(canonical(before));
    expect(after).toMatchObject({ outcome: "selected", thumbprint: E.thumbprint });
    // The entry the result carries is the snapshot's copy, not the zeroed original.
    expect(after.outcome === "selected" && Buffer.from(after.entry.certificate)).toEqual(
      Buffer.from(E.der),
    );
  });

  it("snapshot: getters that answer differently on every read are read once", async () => {
    const reads = new Map<string, number>();
    const shifty = (base: StoreEntry, name: string): StoreEntry => {
      const read = <T>(field: string, first: T, later: T): T => {
        const key = `${name}.${field}`;
        const n = reads.get(key) ?? 0;
        reads.set(key, n + 1);
        return n === 0 ? first : later;
      };
      return {
        get certificate() {
          return read("certificate", base.certificate, fixture("leaf-ec").der);
        },
        get hasPrivateKey() {
          return read("hasPrivateKey", base.hasPrivateKey, !base.hasPrivateKey);
        },
        get services() {
          return read("services", base.services, ["IIS"]);
        },
        get privateKey() {
          return read("privateKey", base.privateKey, "junk");
        },
      } as StoreEntry;
    };
    const plain = entries();
    const expected = await outbound({
      directory: staticDirectory(E.thumbprint),
      store: { list: () => plain },
      ...TRUST,
    });
    const result = await outbound({
      directory: staticDirectory(E.thumbprint),
      store: { list: () => plain.map((e, i) => shifty(e, String(i))) },
      ...TRUST,
    });
    expect(canonical(result)).toEqual(canonical(expected));
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
  });

  it("snapshot: a store whose list() answers differently each time is asked once", async () => {
    let calls = 0;
    const store: CertStore = {
      list: () => (calls++ === 0 ? entries() : [entry("self-signed-newest")]),
    };
    const result = await outbound({ directory: staticDirectory(E.thumbprint), store, ...TRUST });
    expect(calls).toBe(1);
    expect(result).toMatchObject({ outcome: "selected", thumbprint: E.thumbprint });
  });

  it("snapshot: mutations from timers while trust is evaluated change nothing", async () => {
    const { result: before } = await run();
    const store = entries();
    const timers = Array.from({ length: 20 }, (_, i) =>
      setTimeout(() => {
        store.reverse();
        (store[0]!.services as string[]).push(`X${i}`);
      }, i),
    );
    const result = await outbound({
      directory: staticDirectory(E.thumbprint),
      store: { list: () => store },
      ...TRUST,
    });
    for (const timer of timers) clearTimeout(timer);
    expect(canonical(result)).toEqual(canonical(before));
  });

  it("snapshot: the directory's bytes changed after the read do not change the thumbprint", async () => {
    const bytes = new Uint8Array(E.der);
    const result = await outbound({
      directory: staticDirectory(bytes),
      store: memoryStore(entries()),
      onEvent: () => bytes.fill(0xff),
    });
    expect(bytes[0]).toBe(0xff);
    expect(result).toMatchObject({ outcome: "selected", directoryThumbprint: E.thumbprint });
  });
});

describe("concurrency: selections share no mutable state", () => {
  const names = [
    "self-signed",
    "self-signed-old",
    "self-signed-newest",
    "expired",
    "leaf-rsa",
    "leaf-ec",
    "leaf-untrusted",
    "v1",
    "wildcard",
    "tie-a",
    "tie-b",
  ];

  /** Scenario i: a store of a few fixtures (some without keys, some with keys of another type). */
  function scenario(i: number) {
    const pick = names.filter((_, j) => (i >> j) & 1 || j === i % names.length);
    const store: StoreEntry[] = pick.map((name, j) =>
      (i + j) % 5 === 0
        ? entry(name, { hasPrivateKey: false })
        : (i + j) % 7 === 0
          ? {
              ...entry(name),
              privateKey: fixture(name.startsWith("leaf-ec") ? "leaf-rsa" : "leaf-ec").keyPem,
            }
          : entry(name, { withKey: (i + j) % 3 === 0 }),
    );
    const directoryName = pick[i % pick.length]!;
    const kinds = ["plain", "abort", "throwing-store", "bad-directory"] as const;
    const kind = kinds[i % kinds.length]!;
    return {
      directory:
        kind === "bad-directory"
          ? staticDirectory("not a thumbprint")
          : staticDirectory(fixture(directoryName).thumbprint),
      store:
        kind === "throwing-store"
          ? throwingStore()
          : kind === "abort"
            ? hangingStore()
            : memoryStore(store),
      ...(kind === "abort" ? { signal: AbortSignal.timeout(30) } : {}),
      ...TRUST,
      wildcardNames: i % 2 === 0,
      onThumbprintMismatch:
        i % 3 === 0 ? ("use-best-candidate" as const) : ("keep-directory-certificate" as const),
      phase: i % 4 === 0 ? ("startup" as const) : ("session" as const),
    };
  }

  it("64 selections in parallel equal the same 64 run one by one", async () => {
    const count = 64;
    const sequential: unknown[] = [];
    for (let i = 0; i < count; i++) sequential.push(canonical(await outbound(scenario(i))));
    const parallel = await Promise.all(
      Array.from({ length: count }, (_, i) => outbound(scenario(i)).then(canonical)),
    );
    expect(parallel).toEqual(sequential);
    // And the scenarios are not all alike.
    expect(new Set(sequential.map((s) => JSON.stringify(s))).size).toBeGreaterThan(20);
  });

  it("events go to each selection's own onEvent, in its own order", async () => {
    const runs = Array.from({ length: 32 }, (_, i) => {
      const seen: ExchangeEvent[] = [];
      const promise = outbound({ ...scenario(i), onEvent: (e) => seen.push(e) });
      return promise.then((result) => ({ result, seen }));
    });
    for (const { result, seen } of await Promise.all(runs)) expect(seen).toEqual(result.events);
  });
});
