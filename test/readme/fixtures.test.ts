// The committed fixtures must give the same answers against the wall clock as the tests get at
// their fixed NOW (A4), for decades: the README's quick start and the example run without `now`.
// Dates are read with Node's own X509Certificate (an oracle independent of our parser), so a
// regenerated fixture set that forgets scripts/generate-fixtures.ts's LONG offset fails here.
import { X509Certificate } from "node:crypto";

import { describe, expect, it } from "vitest";

import { fixture, manifest, NOW } from "../support/fixtures.js";

/** The fixtures that are out of their validity period on purpose, and how. */
const EXPIRED_ON_PURPOSE = ["expired", "inter-expired", "expiring-soon"];
const NOT_YET_VALID_ON_PURPOSE = ["not-yet-valid"];
const VALID_UNTIL_AT_LEAST = new Date("2055-01-01T00:00:00Z");

const dates = (name: string) => {
  const certificate = new X509Certificate(fixture(name).der);
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
};

describe("fixture validity (A4)", () => {
  const names = Object.keys(manifest.certificates);

  it("covers every fixture", () => {
    expect(names.length).toBeGreaterThanOrEqual(29);
    for (const name of [...EXPIRED_ON_PURPOSE, ...NOT_YET_VALID_ON_PURPOSE]) {
      expect(names).toContain(name);
    }
  });

  it.each(
    names.filter((n) => !EXPIRED_ON_PURPOSE.includes(n) && !NOT_YET_VALID_ON_PURPOSE.includes(n)),
  )("%s is valid at NOW and stays valid until 2055", (name) => {
    const { notBefore, notAfter } = dates(name);
    expect(notBefore.getTime()).toBeLessThanOrEqual(NOW.getTime());
    expect(notAfter.getTime()).toBeGreaterThanOrEqual(VALID_UNTIL_AT_LEAST.getTime());
  });

  it.each(EXPIRED_ON_PURPOSE.filter((n) => n !== "expiring-soon"))(
    "%s expired before NOW, so it is expired against any wall clock too",
    (name) => {
      expect(dates(name).notAfter.getTime()).toBeLessThan(NOW.getTime());
    },
  );

  it("expiring-soon is valid at NOW and expires 5 days later (12017's window, I4)", () => {
    const { notBefore, notAfter } = dates("expiring-soon");
    expect(notBefore.getTime()).toBeLessThan(NOW.getTime());
    expect(notAfter.getTime() - NOW.getTime()).toBe(5 * 86_400_000);
  });

  it("not-yet-valid starts after NOW and after 2055, so it is not yet valid against the wall clock either", () => {
    expect(dates("not-yet-valid").notBefore.getTime()).toBeGreaterThan(
      VALID_UNTIL_AT_LEAST.getTime(),
    );
  });
});
