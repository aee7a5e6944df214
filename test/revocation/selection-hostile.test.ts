// Hostile CRLs through the selection (A21; issue 16 item 5 for the selection's side): random
// bytes, truncated and bit-flipped CRLs, PEM with broken blocks and wrong-type-free garbage never
// make a selection reject or throw (a CRL that does not parse is not misuse); they are ignored
// and listed on the verdicts that consulted CRLs, and the prepared selector agrees with the
// plain function on every one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSelector } from "../../src/exchange/selector.js";
import { type AnonymousTlsSelection, selectOutboundAnonymousTlsCert } from "../../src/index.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { prepareCrls } from "../../src/x509/revocation/checker.js";
import { DAY, directoryFor, edgeOptions, fixture, NOW, storeOf } from "../support/fixtures.js";
import { forgeCrl, toCrlPem } from "./crl-forge.js";

const RUNS = Math.max(60, Number(process.env.HOSTILE_RUNS ?? 0));

const anchors = [fixture("root-ec").der];
const intermediates = [fixture("inter-ec").der];

const valid = forgeCrl({
  issuer: [
    ["O", "Contoso Test PKI"],
    ["CN", "Contoso Issuing CA (ECDSA)"],
  ],
  signer: "p256-1",
  thisUpdate: new Date(NOW.getTime() - DAY),
  nextUpdate: new Date(NOW.getTime() + DAY),
  crlNumber: 5,
  entries: [{ serial: parseCertificate(fixture("leaf-ec").der).serialNumber }],
});

/** A CRL input an attacker (or a broken export) could hand over. */
const hostileCrl = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
  fc
    .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }))
    .map(([at, mask]) => {
      const copy = new Uint8Array(valid);
      copy[at]! ^= mask;
      return copy;
    }),
  fc.string({ maxLength: 200 }),
  fc
    .string({ maxLength: 120 })
    .map((body) => `-----BEGIN X509 CRL-----\n${body}\n-----END X509 CRL-----\n`),
  fc.constant(`${toCrlPem(valid)}-----BEGIN X509 CRL-----\nAAAA`),
  fc.constant(valid),
);

function best(selection: AnonymousTlsSelection): string | null {
  return selection.outcome === "selected" ? selection.bestCandidate : null;
}

describe("hostile CRLs in the selection never throw (A21)", () => {
  it(`random, truncated, bit-flipped and PEM-broken CRLs, soft and hard (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileCrl, { maxLength: 4 }),
        fc.constantFrom("soft" as const, "hard" as const),
        async (crls, revocationMode) => {
          const session = { ...edgeOptions(), directory: directoryFor("leaf-ec") };
          const store = storeOf("leaf-ec", "self-signed");
          const plain = await selectOutboundAnonymousTlsCert({
            ...session,
            store,
            trustAnchors: anchors,
            intermediates,
            crls,
            revocationMode,
          });
          const prepared = await createSelector({
            store,
            trustAnchors: anchors,
            intermediates,
            crls,
            revocationMode,
          }).selectOutbound(session);
          expect(prepared).toEqual(plain);
          const leaf = plain.certificates.find(
            (c) => c.thumbprint === fixture("leaf-ec").thumbprint,
          );
          if (leaf?.status !== "eligible" || leaf.trust === null) return;
          const trust = leaf.trust;
          if (trust.kind === "self-signed") throw new Error("leaf-ec is CA-issued");
          // Every unreadable input is listed once per block, as prepareCrls lists it.
          expect(trust.ignoredCrls ?? []).toEqual(prepareCrls(crls).ignored);
          // The intact CRL (when present) revokes the leaf; otherwise soft keeps it valid PKI,
          // hard does not (root-ec published nothing, so inter-ec is unknown either way).
          const intact = crls.some((c) =>
            typeof c === "string"
              ? c.includes(toCrlPem(valid))
              : c.length === valid.length && c.every((b, k) => b === valid[k]),
          );
          if (intact) expect(trust.kind === "untrusted" && trust.code).toBe("revoked");
          else if (revocationMode === "soft")
            expect(best(plain)).toBe(fixture("leaf-ec").thumbprint);
          else expect(trust.kind === "untrusted" && trust.code).toBe("revocation-unknown");
        },
      ),
      { numRuns: RUNS, seed: 20250615 },
    );
  }, 120_000);
});
