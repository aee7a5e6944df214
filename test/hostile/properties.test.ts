// Properties of the whole selection (fast-check), over stores built from the committed fixture
// certificates mixed with hostile entries, and directory values in every form. In CI: 1,000 runs
// each, from a fixed seed so that a red build is reproducible; `npm run fuzz` runs the same
// properties at 100,000 (FUZZ_RUNS) from fresh random seeds (FUZZ_SEED=random), and FUZZ_SEED=<n>
// (with FUZZ_PATH=<path>) replays a counterexample that fast-check reported.
import { createPrivateKey, createPublicKey } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import {
  type ExchangeEvent,
  type Selection,
  type StoreEntry,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
} from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { fixture } from "../support/fixtures.js";
import {
  buildFixtureEntry,
  type DirectorySpec,
  directorySpec,
  envelopeTwinEntry,
  fixtureEntrySpec,
  type OptionSet,
  optionSet,
  permute,
  sortKeys,
  storeEntries,
} from "./arbitraries.js";
import { canonical, verdictKey } from "./support.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED ?? "20250615";
const PATH = process.env.FUZZ_PATH;
const params = {
  numRuns: RUNS,
  ...(SEED === "random" ? {} : { seed: Number(SEED) }),
  ...(PATH === undefined ? {} : { path: PATH }),
};
// At 1,000 runs a property takes a few seconds; at 100,000 (npm run fuzz) much longer.
const TIMEOUT = Math.max(60_000, RUNS * 60);

function select(d: DirectorySpec, store: readonly unknown[], options: OptionSet) {
  return selectOutboundAnonymousTlsCert({
    ...options,
    directory: d.directory,
    store: { list: () => store as StoreEntry[] },
  });
}

/** The decision without the per-certificate verdicts. */
function decision(selection: Selection) {
  const { verdicts: _verdicts, ...rest } = canonical(selection) as Record<string, unknown>;
  return rest;
}

function isSmtp(services: readonly string[]): boolean {
  return services.some((s) => s.trim().toLowerCase() === "smtp");
}

/** Our own reading of the thumbprint of an entry's certificate, or null when it is not one. */
function entryThumbprint(candidate: unknown): string | null {
  try {
    return parseCertificate((candidate as StoreEntry).certificate).thumbprint;
  } catch {
    return null;
  }
}

/** Does the PEM key belong to the certificate (SPKI compared as keys, types first)? */
function keyFits(certificate: StoreEntry["certificate"], keyPem: string): boolean {
  const own = createPublicKey({
    key: Buffer.from(parseCertificate(certificate).spki),
    format: "der",
    type: "spki",
  });
  const derived = createPublicKey(createPrivateKey(keyPem));
  return own.asymmetricKeyType === derived.asymmetricKeyType && own.equals(derived);
}

describe("properties of the selection (fast-check)", () => {
  it(
    "never throws for any store content or directory value, and what it returns is well-formed",
    async () => {
      await fc.assert(
        fc.asyncProperty(directorySpec, storeEntries, optionSet, async (d, store, options) => {
          const result = await select(d, store, options);
          expect(["selected", "no-certificate", "not-attempted"]).toContain(result.outcome);
          // Every listed entry has a verdict, in store order, once the store was read.
          if (result.certificates.length > 0)
            expect(result.certificates.map((c) => c.index)).toEqual(store.map((_, i) => i));
          if (result.outcome === "selected") {
            expect(result.thumbprint).toMatch(/^[0-9A-F]{40}$/);
            // Nothing wrong is ranked best: an eligible, valid-PKI or self-signed certificate.
            if (result.bestCandidate !== null) {
              const best = result.certificates.find(
                (c) => c.status === "eligible" && c.best && c.thumbprint === result.bestCandidate,
              );
              expect(best?.status === "eligible" && best.trust?.kind).toMatch(
                /^(pki|self-signed)$/,
              );
              expect(best?.hasPrivateKey).toBe(true);
              expect(isSmtp(best?.services ?? [])).toBe(true);
            }
          }
          // The receiving side too (same directory and store steps, I2–I4).
          const inbound = await selectInboundAnonymousTlsCert({
            directory: d.directory,
            store: { list: () => store as StoreEntry[] },
            receiveConnector: { authMechanism: "Tls, ExchangeServer" },
            now: options.now!,
          });
          expect(["selected", "no-certificate"]).toContain(inbound.outcome);
        }),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    "A11: permuting the store never changes the outcome, the events or the verdicts",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          directorySpec,
          storeEntries,
          sortKeys,
          optionSet,
          async (d, store, keys, options) => {
            const a = await select(d, store, options);
            const b = await select(d, permute(store, keys), options);
            expect(canonical(b)).toEqual(canonical(a));
            if (a.outcome === "selected" && b.outcome === "selected")
              expect(b.entry).toEqual(a.entry);
          },
        ),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    "R10: adding an ineligible certificate never changes the outcome",
    async () => {
      // Ineligible by construction: no SMTP (R10d), no key or a key that does not fit (R10b),
      // a certificate whose names never match (R10c), version 1 (R10a).
      const ineligible = fixtureEntrySpec
        .chain((spec) =>
          fc
            .constantFrom<Partial<typeof spec>>(
              { services: ["IIS", "POP"] },
              { hasPrivateKey: false },
              { hasPrivateKey: true, key: "other-type" },
              { hasPrivateKey: true, key: "junk" },
              { name: "root-rsa" },
              { name: "inter-ec" },
              { name: "evil" },
              { name: "v1" },
            )
            .map((change) => ({ ...spec, ...change })),
        )
        .map(buildFixtureEntry);
      await fc.assert(
        fc.asyncProperty(
          directorySpec,
          storeEntries,
          ineligible,
          fc.nat(),
          optionSet,
          async (d, store, added, at, options) => {
            const addedThumbprint = entryThumbprint(added);
            fc.pre(addedThumbprint !== d.thumbprint);
            fc.pre(store.every((e) => entryThumbprint(e) !== addedThumbprint));
            const position = at % (store.length + 1);
            const bigger = [...store.slice(0, position), added, ...store.slice(position)];
            const a = await select(d, store, options);
            const b = await select(d, bigger, options);
            expect(decision(b)).toEqual(decision(a));
            const addedVerdict = b.certificates.find((c) => c.index === position);
            if (addedVerdict !== undefined) {
              expect(addedVerdict.status).not.toBe("eligible");
              const rest = b.certificates.filter((c) => c !== addedVerdict).map(verdictKey);
              expect(rest.sort()).toEqual(a.certificates.map(verdictKey).sort());
            }
          },
        ),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    "A9/R10b: the certificate used always has a private key (one that fits, when given)",
    async () => {
      await fc.assert(
        fc.asyncProperty(directorySpec, storeEntries, optionSet, async (d, store, options) => {
          const result = await select(d, store, options);
          if (result.outcome !== "selected") return;
          expect(result.entry.hasPrivateKey).toBe(true);
          expect(entryThumbprint(result.entry)).toBe(result.thumbprint);
          if (result.entry.privateKey !== undefined)
            expect(keyFits(result.entry.certificate, result.entry.privateKey)).toBe(true);
        }),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    "the events passed to onEvent equal `events`, in order",
    async () => {
      await fc.assert(
        fc.asyncProperty(directorySpec, storeEntries, optionSet, async (d, store, options) => {
          const seen: ExchangeEvent[] = [];
          const result = await selectOutboundAnonymousTlsCert({
            ...options,
            directory: d.directory,
            store: { list: () => store as StoreEntry[] },
            onEvent: (event) => seen.push(event),
          });
          expect(seen).toEqual(result.events);
          expect(seen.every((event, i) => event === result.events[i])).toBe(true);
        }),
        params,
      );
    },
    TIMEOUT,
  );

  it(
    "A1: with the default policy the certificate used is always the directory's",
    async () => {
      await fc.assert(
        fc.asyncProperty(directorySpec, storeEntries, optionSet, async (d, store, options) => {
          const { onThumbprintMismatch: _policy, ...defaults } = options;
          const result = await select(d, store, defaults);
          if (result.outcome !== "selected") return;
          expect(result.thumbprint).toBe(result.directoryThumbprint);
          if (d.thumbprint !== null) expect(result.directoryThumbprint).toBe(d.thumbprint);
          expect(result.thumbprintMatches).toBe(result.bestCandidate === result.thumbprint);
          // And with the other policy, the certificate used is one of the two.
          const other = await select(d, store, {
            ...defaults,
            onThumbprintMismatch: "use-best-candidate",
          });
          if (other.outcome === "selected")
            expect([other.directoryThumbprint, other.bestCandidate]).toContain(other.thumbprint);
        }),
        params,
      );
    },
    TIMEOUT,
  );
});

describe("A18: readable twins (fast-check)", () => {
  it(
    "A6/A11: a certificate with a re-encoded envelope is read, never verifies, and is never the best",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          directorySpec,
          storeEntries,
          envelopeTwinEntry,
          fc.nat(),
          optionSet,
          async (d, store, twin, at, options) => {
            const parsed = parseCertificate(twin.certificate);
            expect(
              parsed.encodingFaults.filter(
                (f) => f === "signature-encoding" || f === "signature-algorithm-mismatch",
              ),
            ).toHaveLength(1);
            const position = at % (store.length + 1);
            const bigger = [...store.slice(0, position), twin, ...store.slice(position)];
            const result = await select(d, bigger, {
              ...options,
              onThumbprintMismatch: "use-best-candidate",
            });
            const verdict = result.certificates.find((c) => c.index === position);
            if (verdict?.status === "eligible") {
              expect(verdict.trust?.kind ?? "none").not.toMatch(/^(pki|self-signed)$/);
              expect(verdict.best).toBe(false);
            }
            if (result.outcome === "selected") {
              expect(result.bestCandidate).not.toBe(parsed.thumbprint);
            }
          },
        ),
        params,
      );
    },
    TIMEOUT,
  );
});

describe("the arbitraries reach the interesting cases", () => {
  it("every outcome, both policies' mismatches, and unreadable entries occur", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(directorySpec, storeEntries, optionSet, async (d, store, options) => {
        const result = await select(d, store, options);
        seen.add(result.outcome === "no-certificate" ? result.reason : result.outcome);
        if (result.outcome === "selected" && !result.thumbprintMatches) seen.add("mismatch");
        if (result.outcome === "selected" && result.thumbprintMatches) seen.add("match");
        if (result.certificates.some((c) => c.status === "unreadable")) seen.add("unreadable");
        if (result.certificates.some((c) => c.status === "eligible")) seen.add("eligible");
      }),
      { numRuns: 300, seed: 42 },
    );
    expect([...seen].sort()).toEqual(
      [
        "directory-empty",
        "directory-unreadable",
        "eligible",
        "match",
        "mismatch",
        "no-private-key",
        "not-attempted",
        "not-in-store",
        "selected",
        "unreadable",
      ].sort(),
    );
    expect(fixture("self-signed").thumbprint).toMatch(/^[0-9A-F]{40}$/);
  });
});
