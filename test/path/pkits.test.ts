// NIST PKITS (test/conformance/pkits) through the path validator: one test per PKITS test, by
// section, asserting the PDF's expected validity and user-constrained policy set (A3, A13, A17,
// A19, A20; RFC 5280 §6.1), with the CRL revocation checker in hard mode (A21: PKITS assumes
// revocation checking throughout). Separately and strictly, the security invariant: no path
// PKITS calls invalid is ever accepted, with the checker or without it (where the revocation
// tests are not run), whatever PKITS_EXPECTED_FAILURES says.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { beforeAll, describe, expect, it } from "vitest";

import type { ParsedCertificate } from "../../src/x509/certificate.js";
import {
  expectedPolicies,
  needsRevocation,
  PKITS_EXPECTED_FAILURES,
  PKITS_POLICY_OIDS,
  PKITS_SECTIONS,
  PKITS_TESTS,
  PKITS_TRUST_ANCHOR,
  PKITS_TRUST_ANCHOR_CRL,
  type PkitsFiles,
  type PkitsResult,
  type PkitsTestcase,
  pkitsKey,
  pkitsSection,
  REVOCATION_DEPENDENT,
  runPkits,
  runPkitsTest,
  summarizePkits,
  UNSUPPORTED,
} from "../../src/x509/path/pkits.js";
import type { RevocationChecker } from "../../src/x509/path/validator.js";
import { createCrlRevocationChecker } from "../../src/x509/revocation/index.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "conformance", "pkits");
const read = (path: string) => (existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined);
const FILES: PkitsFiles = {
  certificate: (name) => read(join(DIR, "certs", `${name}.crt`)),
  crl: (name) => read(join(DIR, "crls", `${name}.crl`)),
};

const CRL_CHECKER = {
  makeRevocationChecker: (
    crls: readonly Uint8Array[],
    certificates: readonly ParsedCertificate[],
  ) => createCrlRevocationChecker({ crls, certificates, mode: "hard" }),
};

function find(key: string): PkitsTestcase {
  const testcase = PKITS_TESTS.find((candidate) => pkitsKey(candidate) === key);
  if (testcase === undefined) throw new Error(`no PKITS test ${key}`);
  return testcase;
}

describe("PKITS table (transcribed from Chromium's pkits_testcases-inl.h)", () => {
  it("has the 247 tests of sections 4.1-4.16, each key once", () => {
    expect(PKITS_TESTS).toHaveLength(247);
    const keys = PKITS_TESTS.map(pkitsKey);
    expect(new Set(keys).size).toBe(keys.length);
    const perSection = Object.keys(PKITS_SECTIONS).map(
      (section) => PKITS_TESTS.filter((t) => pkitsSection(t.id) === section).length,
    );
    expect(perSection).toEqual([6, 8, 11, 21, 8, 17, 5, 35, 8, 21, 11, 11, 38, 35, 10, 2]);
  });

  it("starts every chain at the trust anchor and every CRL list at its CRL", () => {
    for (const testcase of PKITS_TESTS) {
      expect(testcase.certificates[0]).toBe(PKITS_TRUST_ANCHOR);
      expect(testcase.crls[0]).toBe(PKITS_TRUST_ANCHOR_CRL);
      expect(testcase.certificates.length).toBeGreaterThanOrEqual(2);
    }
  });

  it("names only files that are vendored", () => {
    const missing = PKITS_TESTS.flatMap((testcase) => [
      ...testcase.certificates.filter((name) => FILES.certificate(name) === undefined),
      ...testcase.crls.filter((name) => FILES.crl(name) === undefined),
    ]);
    expect(missing).toEqual([]);
  });

  it("agrees with the PKITS names: a single-part Valid… test is valid, Invalid… is not", () => {
    // A cross-check of the transcription: subparts can flip the result (4.10.1#2 is invalid),
    // so only tests run once are held to their name.
    const disagree = PKITS_TESTS.filter(
      (t) =>
        t.subpart === undefined &&
        ((t.name.startsWith("Valid") && !t.valid) || (t.name.startsWith("Invalid") && t.valid)),
    ).map(pkitsKey);
    expect(disagree).toEqual([]);
  });

  it("maps the policy names to the NIST test policy OIDs (2.16.840.1.101.3.2.1.48.n)", () => {
    expect(PKITS_POLICY_OIDS["NIST-test-policy-6"]).toBe("2.16.840.1.101.3.2.1.48.6");
    expect(expectedPolicies(find("4.8.10#1"))).toEqual([
      "2.16.840.1.101.3.2.1.48.1",
      "2.16.840.1.101.3.2.1.48.2",
    ]);
    // Chromium's default expected set is {NIST-test-policy-1}.
    expect(expectedPolicies(find("4.1.1"))).toEqual(["2.16.840.1.101.3.2.1.48.1"]);
  });

  it("lists no revocation-dependent, unsupported or expected-failure test that does not exist", () => {
    const ids = new Set(PKITS_TESTS.map((t) => t.id));
    const keys = new Set(PKITS_TESTS.map(pkitsKey));
    expect(Object.keys(REVOCATION_DEPENDENT).filter((id) => !ids.has(id))).toEqual([]);
    expect(Object.keys(UNSUPPORTED).filter((id) => !ids.has(id))).toEqual([]);
    expect(Object.keys(PKITS_EXPECTED_FAILURES).filter((key) => !keys.has(key))).toEqual([]);
  });
});

let results: readonly PkitsResult[] = [];
let pathOnly: readonly PkitsResult[] = [];
const byKey = new Map<string, PkitsResult>();

function acceptedInvalid(run: readonly PkitsResult[], label: string): string[] {
  const accepted = run
    .filter((result) => result.acceptedInvalid)
    .map((result) => `${result.key} ${result.testcase.name}: ${result.detail}`);
  if (accepted.length > 0) {
    console.warn(`\n*** PKITS (${label}): invalid paths ACCEPTED:\n  ${accepted.join("\n  ")}\n`);
  }
  return accepted;
}

describe("NIST PKITS", () => {
  beforeAll(async () => {
    results = await runPkits(FILES, CRL_CHECKER);
    pathOnly = await runPkits(FILES);
    for (const result of results) byKey.set(result.key, result);
  });

  it("accepts no path that PKITS calls invalid, with the CRL checker (security invariant)", () => {
    expect(acceptedInvalid(results, "CRL checker")).toEqual([]);
  });

  it("accepts no path that PKITS calls invalid, without a checker (security invariant)", () => {
    expect(acceptedInvalid(pathOnly, "no checker")).toEqual([]);
    // Without a checker exactly the revocation tests are set aside, and nothing else.
    const setAside = pathOnly.filter((r) => r.notCounted === "revocation").map((r) => r.key);
    expect(setAside).toEqual(PKITS_TESTS.filter(needsRevocation).map(pkitsKey));
    expect(setAside).toHaveLength(71);
  });

  it("builds every listed chain: no invalid test fails for want of a path, except name chaining", () => {
    // Guards the transcription: a wrong file in a row would surface as a path that cannot be
    // built ("right answer, wrong reason"). Only 4.3.1 and 4.3.2 are about unchainable names.
    const unbuilt = results
      .filter(
        (r) =>
          r.actual === "invalid" &&
          /^(no-path|untrusted-root|path-loop)\b|missing|does not parse/.test(r.detail),
      )
      .map((r) => r.key);
    expect(unbuilt).toEqual(["4.3.1", "4.3.2"]);
  });

  it("prints the per-section table", () => {
    const rows = summarizePkits(results);
    console.log(
      rows
        .map((r) => `${r.section} ${r.title}: ${r.passed}/${r.failed}/${r.notCounted}`)
        .join("\n"),
    );
    // Every test lands in exactly one column.
    expect(rows.reduce((n, r) => n + r.passed + r.failed + r.notCounted, 0)).toBe(247);
  });

  for (const [section, title] of Object.entries(PKITS_SECTIONS)) {
    describe(`${section} ${title}`, () => {
      for (const testcase of PKITS_TESTS.filter((t) => pkitsSection(t.id) === section)) {
        const key = pkitsKey(testcase);
        const label = `${key} ${testcase.name} (${testcase.valid ? "valid" : "invalid"})`;
        const unsupported = UNSUPPORTED[testcase.id];
        if (unsupported !== undefined) {
          // Not counted, but an invalid path must still be rejected.
          if (testcase.valid) it.skip(`${label}: unsupported (${unsupported})`, () => {});
          else
            it(`${label}: unsupported, still rejected`, () => {
              expect(byKey.get(key)?.actual).toBe("invalid");
            });
          continue;
        }
        const body = () => {
          const result = byKey.get(key);
          expect(result?.outcome, result?.detail).toBe("passed");
        };
        if (PKITS_EXPECTED_FAILURES[key] !== undefined)
          it.fails(`${label} [expected failure]`, body);
        else it(label, body);
      }
    });
  }
});

describe("PKITS under the strict profile (A3: OpenSSL's -x509_strict encoding rules)", () => {
  it("accepts no invalid path and rejects only the two valid tests that break DER/RFC 5280 MUSTs", async () => {
    const strict = await runPkits(FILES, { ...CRL_CHECKER, profile: "strict" });
    expect(acceptedInvalid(strict, "strict")).toEqual([]);
    // 4.2.4: a GeneralizedTime notBefore before 2050 (RFC 5280 §4.1.2.5 says UTCTime);
    // 4.6.4: a CA whose basicConstraints is not critical (RFC 5280 §4.2.1.9 MUST).
    expect(strict.filter((r) => r.outcome === "failed").map((r) => r.key)).toEqual([
      "4.2.4",
      "4.6.4",
    ]);
  });
});

describe("PKITS harness", () => {
  it("fails a test whose validity does not match, and flags an accepted invalid path", async () => {
    const result = await runPkitsTest({ ...find("4.1.1"), valid: false }, FILES, {
      expectedFailures: { "4.1.1": "listed, but an accepted invalid path is never excused" },
    });
    expect(result.outcome).toBe("failed");
    expect(result.acceptedInvalid).toBe(true);
    expect(result.known).toBeUndefined();
  });

  it("fails a valid path whose user-constrained policy set differs (A19)", async () => {
    const result = await runPkitsTest(
      { ...find("4.8.10#1"), userConstrainedPolicySet: ["NIST-test-policy-1"] },
      FILES,
    );
    expect(result.actual).toBe("valid");
    expect(result.outcome).toBe("failed");
    expect(result.detail).toContain("user-constrained policy set");
  });

  it("marks a listed failure as known, and a missing file as an invalid run, never a throw", async () => {
    const result = await runPkitsTest(
      { ...find("4.1.1"), certificates: [PKITS_TRUST_ANCHOR, "NoSuchEE"] },
      FILES,
      {
        expectedFailures: { "4.1.1": "reason" },
      },
    );
    expect(result).toMatchObject({ outcome: "failed", actual: "invalid", known: "reason" });
    expect(result.detail).toContain("NoSuchEE");
  });

  it("hands the test's CRLs, in order, to the revocation checker and counts revocation tests", async () => {
    const seen: number[][] = [];
    const permissive = (crls: readonly Uint8Array[]): RevocationChecker => {
      seen.push(crls.map((crl) => crl.length));
      return async () => ({ statuses: [] });
    };
    const testcase = find("4.4.3");
    const result = await runPkitsTest(testcase, FILES, { makeRevocationChecker: permissive });
    expect(seen).toEqual([testcase.crls.map((name) => FILES.crl(name)!.length)]);
    // A checker that never revokes accepts 4.4.3's revoked end entity: the invariant sees it.
    expect(result).toMatchObject({ outcome: "failed", actual: "valid", acceptedInvalid: true });
  });

  it("without a checker, reports the revocation tests as not counted and does not run them", async () => {
    for (const key of ["4.4.7", "4.5.2", "4.7.4", "4.14.1", "4.15.2"]) {
      const result = await runPkitsTest(find(key), FILES);
      expect(result).toMatchObject({ outcome: "not-counted", notCounted: "revocation" });
      expect(result.actual).toBeUndefined();
    }
  });
});
