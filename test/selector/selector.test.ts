// The prepared selector's caches, case by case: each distinct certificate parsed once across
// sessions and store changes, decisions replayed until `now` crosses a boundary that matters,
// trust verdicts recomputed exactly at a CA's boundary, eviction, concurrency, misuse.
import { describe, expect, it } from "vitest";

import { InvalidCertificateError } from "../../src/errors.js";
import { createSelector, type PreparedOutboundOptions } from "../../src/exchange/selector.js";
import {
  type CertStore,
  type ExchangeEvent,
  type Selection,
  type StoreEntry,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import {
  DAY,
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  memoryStore,
  NOW,
  staticDirectory,
} from "../support/fixtures.js";
import { forgeCertificate, OID } from "../support/forge.js";

const HOUR = 3_600_000;
const later = (ms: number) => new Date(NOW.getTime() + ms);
const edges = (name: string) => {
  const c = parseCertificate(fixture(name).der);
  return { notBefore: c.notBefore.getTime(), notAfter: c.notAfter.getTime() };
};

const junk: StoreEntry = {
  certificate: Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]),
  hasPrivateKey: true,
  services: ["SMTP"],
};

function session(directory: string, now: Date = NOW, extra: Partial<PreparedOutboundOptions> = {}) {
  return { ...edgeOptions(), directory: directoryFor(directory), now, ...extra };
}

/** The plain function's answer for the same session. */
function plain(
  store: CertStore,
  options: PreparedOutboundOptions,
  pool: { trustAnchors?: Uint8Array[]; intermediates?: Uint8Array[] } = {},
): Promise<Selection> {
  return selectOutboundAnonymousTlsCert({ ...options, store, ...pool });
}

describe("each distinct certificate is parsed once", () => {
  it("across sessions, duplicates and PEM/DER spellings of the same certificate", async () => {
    const store = memoryStore([
      entry("leaf-rsa"),
      { ...entry("leaf-rsa"), certificate: fixture("leaf-rsa").pem },
      entry("leaf-ec"),
      entry("self-signed"),
      entry("self-signed", { services: ["IIS"] }),
      junk,
    ]);
    const selector = createSelector({ store });
    for (let i = 0; i < 20; i++)
      await selector.selectOutbound(session("self-signed", later(i * DAY)));
    // leaf-rsa, leaf-ec, self-signed, and the junk entry (its failure is cached too).
    expect(selector.stats().parsed).toBe(4);
    expect(store.calls).toBe(20);
  });

  it("across store changes: only the new certificate is parsed", async () => {
    let listed = [entry("leaf-rsa"), entry("leaf-ec"), entry("self-signed")];
    const selector = createSelector({ store: { list: () => listed } });
    await selector.selectOutbound(session("self-signed"));
    expect(selector.stats().parsed).toBe(3);
    listed = [...listed.map((e) => ({ ...e })), entry("cluster")];
    const result = await selector.selectOutbound(session("self-signed"));
    expect(result.certificates).toHaveLength(4);
    expect(selector.stats()).toMatchObject({ parsed: 4, storeListings: 2 });
  });
});

describe("what counts as the same store", () => {
  it("the same array, or a new array of the same entries: the decision is replayed", async () => {
    const entries = [entry("leaf-ec"), entry("self-signed")];
    let listed = entries;
    const selector = createSelector({ store: { list: () => listed } });
    await selector.selectOutbound(session("self-signed"));
    await selector.selectOutbound(session("self-signed", later(1000)));
    listed = [...entries];
    await selector.selectOutbound(session("self-signed", later(2000)));
    expect(selector.stats()).toMatchObject({
      sessions: 3,
      replayed: 2,
      decided: 1,
      storeListings: 1,
    });
  });

  it("a new array with a new entry is seen by the next session", async () => {
    let listed = [entry("self-signed")];
    const store = { list: () => listed };
    const selector = createSelector({ store });
    const before = await selector.selectOutbound(session("self-signed"));
    expect(before.outcome === "selected" && before.bestCandidate).toBe(
      fixture("self-signed").thumbprint,
    );
    listed = [entry("self-signed"), entry("self-signed-newest")];
    const after = await selector.selectOutbound(session("self-signed"));
    expect(after).toEqual(await plain(store, session("self-signed")));
    expect(after.outcome === "selected" && after.bestCandidate).toBe(
      fixture("self-signed-newest").thumbprint,
    );
  });

  it("by default an array changed in place is not seen (the documented contract)…", async () => {
    const listed = [entry("self-signed")];
    const selector = createSelector({ store: { list: () => listed } });
    await selector.selectOutbound(session("self-signed"));
    listed[0] = entry("self-signed", { services: ["IIS"] });
    const stale = await selector.selectOutbound(session("self-signed"));
    expect(stale.events.map((e) => e.id)).toEqual([]);
  });

  it("…and with detectInPlaceChanges it is", async () => {
    const listed = [entry("self-signed")];
    const store = { list: () => listed };
    const selector = createSelector({ store, detectInPlaceChanges: true });
    await selector.selectOutbound(session("self-signed"));
    listed[0] = entry("self-signed", { services: ["IIS"] });
    const fresh = await selector.selectOutbound(session("self-signed"));
    expect(fresh).toEqual(await plain(store, session("self-signed")));
    // R10d now excludes it: no best candidate, so 1037 (A8).
    expect(fresh.events.map((e) => e.id)).toEqual([1037]);
    expect(selector.stats().parsed).toBe(1);
  });
});

describe("time: a decision holds until now crosses a validity boundary", () => {
  it("R7: 12015 appears at notAfter + 1 ms, not at notAfter (A4 inclusive)", async () => {
    const store = memoryStore([entry("expiring-soon"), entry("self-signed")]);
    const selector = createSelector({ store });
    const { notAfter } = edges("expiring-soon");
    const at = await selector.selectOutbound(session("expiring-soon", new Date(notAfter)));
    const after = await selector.selectOutbound(session("expiring-soon", new Date(notAfter + 1)));
    expect(at.events.map((e) => e.id)).toEqual([1037]);
    expect(after.events.map((e) => e.id)).toEqual([12015, 1037]);
    expect(at).toEqual(await plain(store, session("expiring-soon", new Date(notAfter))));
    expect(after).toEqual(await plain(store, session("expiring-soon", new Date(notAfter + 1))));
    expect(selector.stats()).toMatchObject({ decided: 2, replayed: 0 });
  });

  it("within one slot the expiry step is redone: 12017 counts the hours of each session", async () => {
    const store = memoryStore([entry("expiring-soon"), entry("self-signed")]);
    const selector = createSelector({ store });
    const events: ExchangeEvent[] = [];
    const options = (
      now: Date,
      onEvent: (e: ExchangeEvent) => void = (e) => {
        events.push(e);
      },
    ) => session("expiring-soon", now, { expiryWarning: { days: 10 }, onEvent });
    const first = await selector.selectOutbound(options(NOW));
    const second = await selector.selectOutbound(options(later(3 * HOUR)));
    expect(selector.stats()).toMatchObject({ decided: 1, replayed: 1 });
    const hours = (s: Selection) =>
      s.events.flatMap((e) => (e.id === 12017 ? [e.data.hoursRemaining] : []));
    expect(hours(first)[0]! - hours(second)[0]!).toBe(3);
    expect(events).toEqual([...first.events, ...second.events]);
    expect(second).toEqual(
      await plain(
        store,
        options(later(3 * HOUR), () => {}),
      ),
    );
    expect(second.evaluatedAt).toEqual(later(3 * HOUR));
  });

  it("A3: a trust verdict changes exactly when an intermediate expires", async () => {
    // An issuing CA that expires tomorrow, and a leaf under it that stays valid.
    const ca = [
      ["O", "Contoso Test PKI"],
      ["CN", "Contoso Short-lived CA"],
    ] as const;
    const intermediate = await forgeCertificate({
      subject: ca,
      issuer: [
        ["O", "Contoso Test PKI"],
        ["CN", "Contoso Root CA (ECDSA)"],
      ],
      notBefore: later(-100 * DAY),
      notAfter: later(DAY),
      key: "p256-2",
      signer: "p384-1",
      basicConstraints: { ca: true },
      keyUsage: ["keyCertSign"],
    });
    const leaf = await forgeCertificate({
      subject: [["CN", "mail.contoso.com"]],
      issuer: ca,
      notBefore: later(-10 * DAY),
      notAfter: later(100 * DAY),
      key: "p256-3",
      signer: "p256-2",
      eku: [OID.serverAuth],
    });
    const thumbprint = parseCertificate(leaf).thumbprint;
    const store = memoryStore([{ certificate: leaf, hasPrivateKey: true, services: ["SMTP"] }]);
    const pool = { trustAnchors: [fixture("root-ec").der], intermediates: [intermediate] };
    const selector = createSelector({ store, ...pool });
    const { notAfter } = { notAfter: later(DAY).getTime() };
    for (const t of [notAfter - HOUR, notAfter, notAfter + 1, notAfter + HOUR]) {
      const options = {
        ...session("self-signed", new Date(t)),
        directory: staticDirectory(thumbprint),
      };
      const ours = await selector.selectOutbound(options);
      expect(ours).toEqual(await plain(store, options, pool));
      const verdict = ours.certificates[0];
      const kind = verdict?.status === "eligible" ? verdict.trust?.kind : undefined;
      expect(kind).toBe(t <= notAfter ? "pki" : "untrusted");
    }
    // One path validation on each side of the boundary; the other two sessions were replayed.
    expect(selector.stats()).toMatchObject({ trustEvaluations: 2, replayed: 2 });
  });

  it("trust verdicts survive a store change that keeps the certificate", async () => {
    let listed = [entry("leaf-ec"), entry("self-signed")];
    const pool = {
      trustAnchors: [fixture("root-ec").der],
      intermediates: [fixture("inter-ec").der],
    };
    const selector = createSelector({ store: { list: () => listed }, ...pool });
    await selector.selectOutbound(session("leaf-ec"));
    const evaluations = selector.stats().trustEvaluations;
    listed = [entry("leaf-ec"), entry("self-signed"), entry("v1")];
    await selector.selectOutbound(session("leaf-ec"));
    expect(selector.stats()).toMatchObject({ trustEvaluations: evaluations, storeListings: 2 });
  });
});

describe("eviction", () => {
  it("a new listing drops the certificates the store no longer holds", async () => {
    let listed = [entry("leaf-rsa"), entry("leaf-ec"), entry("self-signed"), entry("cluster")];
    const selector = createSelector({ store: { list: () => listed } });
    await selector.selectOutbound(session("self-signed"));
    expect(selector.stats().cachedCertificates).toBe(4);
    listed = [entry("self-signed")];
    await selector.selectOutbound(session("self-signed"));
    expect(selector.stats().cachedCertificates).toBe(1);
  });
});

describe("sessions", () => {
  it("concurrent sessions on a new listing make one decision", async () => {
    const store = memoryStore([entry("leaf-ec"), entry("self-signed"), entry("v1")]);
    const selector = createSelector({ store });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        selector.selectOutbound(session("self-signed", later(i))),
      ),
    );
    expect(selector.stats()).toMatchObject({ sessions: 10, decided: 1, replayed: 9 });
    expect(results[9]).toEqual(await plain(store, session("self-signed", later(9))));
  });

  it("an onEvent that throws changes nothing, here as with the plain function (issue 18)", async () => {
    const store = memoryStore([entry("expired"), entry("self-signed")]);
    const selector = createSelector({ store });
    const seen: ExchangeEvent[] = [];
    const throwing = {
      onEvent: (event: ExchangeEvent) => {
        seen.push(event);
        throw new Error("listener failed");
      },
    };
    const ours = await selector.selectOutbound(session("expired", NOW, throwing));
    const theirs = await plain(store, session("expired", NOW, throwing));
    const quiet = await plain(store, session("expired"));
    expect(ours).toEqual(quiet);
    expect(theirs).toEqual(quiet);
    // 12015 then 1037: the handler still got the event after the one it threw on, both times.
    expect(quiet.events.map((e) => e.id)).toEqual([12015, 1037]);
    expect(seen.map((e) => e.id)).toEqual([12015, 1037, 12015, 1037]);
    const next = await selector.selectOutbound(session("expired"));
    expect(next).toEqual(quiet);
  });

  it("results are frozen: a caller cannot change a later session's answer", async () => {
    const selector = createSelector({ store: memoryStore([entry("self-signed")]) });
    const first = await selector.selectOutbound(session("self-signed"));
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.certificates[0])).toBe(true);
    expect(Object.isFrozen(first.trace[0]?.data)).toBe(true);
  });

  it("its methods work detached from the object", async () => {
    const { selectOutbound, selectInbound, stats } = createSelector({
      store: memoryStore([entry("self-signed")]),
    });
    await selectOutbound(session("self-signed"));
    await selectInbound({
      directory: directoryFor("self-signed"),
      now: NOW,
      receiveConnector: { authMechanism: "ExchangeServer" },
    });
    expect(stats().sessions).toBe(2);
  });
});

describe("misuse", () => {
  const store = memoryStore([entry("self-signed")]);

  it.each([
    ["no options", undefined],
    ["a store without list()", { store: {} }],
    ["a non-boolean detectInPlaceChanges", { store, detectInPlaceChanges: "yes" }],
    ["trustAnchors that are not an array", { store, trustAnchors: "root" }],
  ])("createSelector with %s is a TypeError", (_name, options) => {
    expect(() => createSelector(options as never)).toThrow(TypeError);
  });

  it("a trust anchor that does not parse is an InvalidCertificateError, at preparation", () => {
    expect(() => createSelector({ store, trustAnchors: [Uint8Array.from([1, 2, 3])] })).toThrow(
      InvalidCertificateError,
    );
  });

  it.each([
    ["store", { store }],
    ["trustAnchors", { trustAnchors: [fixture("root-rsa").der] }],
    ["intermediates", { intermediates: [] }],
  ])("a session that passes %s rejects with a TypeError", async (_name, extra) => {
    const selector = createSelector({ store });
    await expect(
      selector.selectOutbound({ ...session("self-signed"), ...extra } as never),
    ).rejects.toThrow(TypeError);
  });

  it("session options are checked as the plain function checks them", async () => {
    const selector = createSelector({ store });
    await expect(
      selector.selectOutbound({ ...session("self-signed"), now: new Date(Number.NaN) }),
    ).rejects.toThrow(TypeError);
    await expect(
      selector.selectInbound({ directory: directoryFor("self-signed") } as never),
    ).rejects.toThrow(TypeError);
  });
});

describe("results share no mutable state with the cache", () => {
  it("dates in a result are read-only, so a replayed or later decision cannot be changed", async () => {
    const store = { list: () => [entry("expired"), entry("leaf-rsa")] };
    const selector = createSelector({ store });
    const first = await selector.selectOutbound(session("expired"));
    const verdict = first.certificates.find((c) => c.isDirectoryCertificate)!;
    expect(verdict.notAfter).toBeInstanceOf(Date);
    expect(() => verdict.notAfter!.setTime(0)).toThrow(TypeError);
    expect(() => first.evaluatedAt.setFullYear(1999)).toThrow(TypeError);
    const event = first.events.find((e) => e.id === 12015)!;
    expect(() => event.data.notAfter.setUTCHours(0)).toThrow(TypeError);

    const replayed = await selector.selectOutbound(session("expired")); // same store: replayed
    store.list = () => [entry("expired"), entry("leaf-rsa")]; // a store change: new entries
    const changed = await selector.selectOutbound(session("expired"));
    const plain = await selectOutboundAnonymousTlsCert({ ...session("expired"), store });
    for (const result of [replayed, changed]) {
      expect(result.events).toEqual(plain.events);
      expect(result.certificates).toEqual(plain.certificates);
    }
    expect(verdict.notAfter).toEqual(parseCertificate(fixture("expired").der).notAfter);
  });
});

describe("options are read as the plain functions read them", () => {
  it("inherited session options count (a defaults object as prototype)", async () => {
    const store = { list: () => [entry("self-signed")] };
    const selector = createSelector({ store });
    const options = Object.create(session("self-signed")) as PreparedOutboundOptions;
    const prepared = await selector.selectOutbound(options);
    const plain = await selectOutboundAnonymousTlsCert(
      Object.assign(Object.create(options), { store }),
    );
    expect(prepared.outcome).toBe("selected");
    expect(prepared).toMatchObject({ outcome: plain.outcome, events: plain.events });
    if (prepared.outcome === "selected" && plain.outcome === "selected") {
      expect(prepared.thumbprint).toBe(plain.thumbprint);
    }
  });
});
