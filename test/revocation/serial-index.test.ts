// The revoked-serial index of a CRL (A21; src/x509/revocation/serial-index.ts): look-ups by
// serial and issuer, first entry wins, and no input that makes building it quadratic.
import { describe, expect, it } from "vitest";

import { parseCrl } from "../../src/x509/revocation/crl.js";
import { cn, days } from "../support/chains.js";
import { type EntrySpec, entry, forgeCrl, idp, REASON } from "./crl-forge.js";

const window = { thisUpdate: days(-1), nextUpdate: days(6) };
const ISSUER = cn("Index CRL Issuer");

function parsed(entries: readonly EntrySpec[] | Uint8Array, indirect = false) {
  const result = parseCrl(
    forgeCrl({
      issuer: ISSUER,
      signer: "p256-2",
      ...window,
      ...(indirect ? { idp: idp({ indirect: true }) } : {}),
      ...(entries instanceof Uint8Array ? { rawEntries: entries } : { entries }),
    }),
  );
  if (!result.ok) throw new Error(result.detail);
  return result.crl;
}

/** The issuer key of a name, as the CRL module computes it (via a CRL issued by it). */
function keyOf(name: ReturnType<typeof cn>): string {
  const result = parseCrl(forgeCrl({ issuer: name, signer: "p256-2", ...window }));
  if (!result.ok) throw new Error(result.detail);
  return result.crl.issuerKey;
}

describe("A21: serial index", () => {
  it("A21: finds listed serials (short, long, high-bit) and nothing else", () => {
    const crl = parsed([{ serial: "01" }, { serial: "00FF" }, { serial: "7FEE".repeat(10) }]);
    expect(crl.lookup("01", crl.issuerKey)?.serialNumber).toBe("01");
    expect(crl.lookup("00FF", crl.issuerKey)?.serialNumber).toBe("00FF");
    expect(crl.lookup("7FEE".repeat(10), crl.issuerKey)).toBeDefined();
    expect(crl.lookup("FF", crl.issuerKey)).toBeUndefined();
    expect(crl.lookup("02", crl.issuerKey)).toBeUndefined();
    expect(crl.lookup("not hex", crl.issuerKey)).toBeUndefined();
    expect(crl.lookup("01", keyOf(cn("Someone Else")))).toBeUndefined();
  });

  it("A21 (RFC 5280 §5.3.3): one serial under two certificate issuers of an indirect CRL", () => {
    const a = cn("Indirect Issuer A");
    const b = cn("Indirect Issuer B");
    const crl = parsed(
      [
        { serial: "05", reason: REASON.superseded },
        { serial: "05", reason: REASON.keyCompromise, certificateIssuer: a },
        // certificateIssuer carries over to the next entries until the next one.
        { serial: "06" },
        { serial: "05", reason: REASON.cACompromise, certificateIssuer: b },
      ],
      true,
    );
    expect(crl.lookup("05", crl.issuerKey)?.reasonCode).toBe(REASON.superseded);
    expect(crl.lookup("05", keyOf(a))?.reasonCode).toBe(REASON.keyCompromise);
    expect(crl.lookup("06", keyOf(a))).toBeDefined();
    expect(crl.lookup("06", keyOf(b))).toBeUndefined();
    expect(crl.lookup("05", keyOf(b))?.reasonCode).toBe(REASON.cACompromise);
  });

  it("A21: a non-minimal serial INTEGER makes the CRL unreadable", () => {
    const result = parseCrl(
      forgeCrl({ issuer: ISSUER, signer: "p256-2", ...window, entries: [{ serial: "0001" }] }),
    );
    expect(result).toMatchObject({ ok: false, failure: "der-malformed" });
  });

  it("A21: 100,000 entries of one serial build in linear time (the first counts)", () => {
    const one = entry({ serial: "2A", reason: REASON.keyCompromise }, days(-2));
    const rest = entry({ serial: "2A", reason: REASON.superseded }, days(-2));
    const raw = new Uint8Array(one.length + rest.length * 100_000);
    raw.set(one, 0);
    for (let i = 0; i < 100_000; i++) raw.set(rest, one.length + i * rest.length);
    const started = performance.now();
    const crl = parsed(raw);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(crl.lookup("2A", crl.issuerKey)?.reasonCode).toBe(REASON.keyCompromise);
  });

  it("A21: one serial under 5,000 distinct certificate issuers stays linear", () => {
    const entries = Array.from({ length: 5_000 }, (_, i) => ({
      serial: "2A",
      certificateIssuer: cn(`Issuer ${i}`),
    }));
    const started = performance.now();
    const crl = parsed(entries, true);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(crl.lookup("2A", keyOf(cn("Issuer 4999")))).toBeDefined();
    expect(crl.lookup("2A", keyOf(cn("Issuer 5000")))).toBeUndefined();
  });
});
