// PKITS (NIST Public Key Interoperability Test Suite) sections 4.4 (basic CRL checks), 4.14
// (distribution points, indirect CRLs) and 4.15 (delta CRLs), run with the CRL revocation
// checker in hard mode (A21). Each test gets the PKITS trust anchor, every PKITS CA certificate
// as a candidate intermediate and every PKITS CRL: the checker must find the right CRLs itself.
// The data is read from the vendored copy (test/conformance/pkits) when present, else from the
// system's python3-cryptography-vectors package; without either the suite is skipped.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { type ParsedCertificate, parseCertificate } from "../../src/x509/certificate.js";
import { PathValidator } from "../../src/x509/path/validator.js";
import { createCrlRevocationChecker, prepareCrls } from "../../src/x509/revocation/checker.js";
import { SignatureVerifier } from "../../src/x509/signature.js";

const CANDIDATES = [
  join(import.meta.dirname, "..", "conformance", "pkits"),
  "/usr/lib/python3/dist-packages/cryptography_vectors/x509/PKITS_data",
];
const ROOT = CANDIDATES.find(
  (dir) => existsSync(join(dir, "certs")) && existsSync(join(dir, "crls")),
);

/** PKITS's default time is any time within the certificates' windows (2010–2030). */
const NOW = new Date("2024-06-01T12:00:00Z");

/**
 * [PKITS section.test, end-entity file stem, expected outcome]. Valid…/Invalid… in the name is
 * PKITS's verdict; for the invalid ones the code says *why*: listed on a usable CRL ("revoked")
 * or no usable CRL decides ("revocation-unknown": missing, expired, badly signed, out of scope,
 * unknown critical extension, or reasons not all covered).
 */
type Expected = "valid" | "revoked" | "revocation-unknown";
const TESTS: readonly (readonly [string, string, Expected])[] = [
  ["4.4.1", "InvalidMissingCRLTest1", "revocation-unknown"],
  ["4.4.2", "InvalidRevokedCATest2", "revoked"],
  ["4.4.3", "InvalidRevokedEETest3", "revoked"],
  ["4.4.4", "InvalidBadCRLSignatureTest4", "revocation-unknown"],
  ["4.4.5", "InvalidBadCRLIssuerNameTest5", "revocation-unknown"],
  ["4.4.6", "InvalidWrongCRLTest6", "revocation-unknown"],
  ["4.4.7", "ValidTwoCRLsTest7", "valid"],
  ["4.4.8", "InvalidUnknownCRLEntryExtensionTest8", "revocation-unknown"],
  ["4.4.9", "InvalidUnknownCRLExtensionTest9", "revocation-unknown"],
  ["4.4.10", "InvalidUnknownCRLExtensionTest10", "revocation-unknown"],
  ["4.4.11", "InvalidOldCRLnextUpdateTest11", "revocation-unknown"],
  ["4.4.12", "Invalidpre2000CRLnextUpdateTest12", "revocation-unknown"],
  ["4.4.13", "ValidGeneralizedTimeCRLnextUpdateTest13", "valid"],
  ["4.4.14", "ValidNegativeSerialNumberTest14", "valid"],
  ["4.4.15", "InvalidNegativeSerialNumberTest15", "revoked"],
  ["4.4.16", "ValidLongSerialNumberTest16", "valid"],
  ["4.4.17", "ValidLongSerialNumberTest17", "valid"],
  ["4.4.18", "InvalidLongSerialNumberTest18", "revoked"],
  ["4.4.19", "ValidSeparateCertificateandCRLKeysTest19", "valid"],
  ["4.4.20", "InvalidSeparateCertificateandCRLKeysTest20", "revoked"],
  ["4.4.21", "InvalidSeparateCertificateandCRLKeysTest21", "revocation-unknown"],
  ["4.14.1", "ValiddistributionPointTest1", "valid"],
  ["4.14.2", "InvaliddistributionPointTest2", "revoked"],
  ["4.14.3", "InvaliddistributionPointTest3", "revocation-unknown"],
  ["4.14.4", "ValiddistributionPointTest4", "valid"],
  ["4.14.5", "ValiddistributionPointTest5", "valid"],
  ["4.14.6", "InvaliddistributionPointTest6", "revoked"],
  ["4.14.7", "ValiddistributionPointTest7", "valid"],
  ["4.14.8", "InvaliddistributionPointTest8", "revocation-unknown"],
  ["4.14.9", "InvaliddistributionPointTest9", "revocation-unknown"],
  ["4.14.10", "ValidNoissuingDistributionPointTest10", "valid"],
  ["4.14.11", "InvalidonlyContainsUserCertsTest11", "revocation-unknown"],
  ["4.14.12", "InvalidonlyContainsCACertsTest12", "revocation-unknown"],
  ["4.14.13", "ValidonlyContainsCACertsTest13", "valid"],
  ["4.14.14", "InvalidonlyContainsAttributeCertsTest14", "revocation-unknown"],
  ["4.14.15", "InvalidonlySomeReasonsTest15", "revoked"],
  ["4.14.16", "InvalidonlySomeReasonsTest16", "revoked"],
  ["4.14.17", "InvalidonlySomeReasonsTest17", "revocation-unknown"],
  ["4.14.18", "ValidonlySomeReasonsTest18", "valid"],
  ["4.14.19", "ValidonlySomeReasonsTest19", "valid"],
  ["4.14.20", "InvalidonlySomeReasonsTest20", "revoked"],
  ["4.14.21", "InvalidonlySomeReasonsTest21", "revoked"],
  ["4.14.22", "ValidIDPwithindirectCRLTest22", "valid"],
  ["4.14.23", "InvalidIDPwithindirectCRLTest23", "revoked"],
  ["4.14.24", "ValidIDPwithindirectCRLTest24", "valid"],
  ["4.14.25", "ValidIDPwithindirectCRLTest25", "valid"],
  ["4.14.26", "InvalidIDPwithindirectCRLTest26", "revocation-unknown"],
  ["4.14.27", "InvalidcRLIssuerTest27", "revocation-unknown"],
  ["4.14.28", "ValidcRLIssuerTest28", "valid"],
  ["4.14.29", "ValidcRLIssuerTest29", "valid"],
  ["4.14.30", "ValidcRLIssuerTest30", "valid"],
  ["4.14.31", "InvalidcRLIssuerTest31", "revoked"],
  ["4.14.32", "InvalidcRLIssuerTest32", "revoked"],
  ["4.14.33", "ValidcRLIssuerTest33", "valid"],
  ["4.14.34", "InvalidcRLIssuerTest34", "revoked"],
  ["4.14.35", "InvalidcRLIssuerTest35", "revocation-unknown"],
  ["4.15.1", "InvaliddeltaCRLIndicatorNoBaseTest1", "revocation-unknown"],
  ["4.15.2", "ValiddeltaCRLTest2", "valid"],
  ["4.15.3", "InvaliddeltaCRLTest3", "revoked"],
  ["4.15.4", "InvaliddeltaCRLTest4", "revoked"],
  ["4.15.5", "ValiddeltaCRLTest5", "valid"],
  ["4.15.6", "InvaliddeltaCRLTest6", "revoked"],
  ["4.15.7", "ValiddeltaCRLTest7", "valid"],
  ["4.15.8", "ValiddeltaCRLTest8", "valid"],
  ["4.15.9", "InvaliddeltaCRLTest9", "revoked"],
  ["4.15.10", "InvaliddeltaCRLTest10", "revocation-unknown"],
];

interface Pkits {
  readonly anchor: ParsedCertificate;
  readonly intermediates: readonly ParsedCertificate[];
  readonly crls: ReturnType<typeof prepareCrls>;
  readonly certificate: (stem: string) => ParsedCertificate;
}

function load(root: string): Pkits {
  const certs = join(root, "certs");
  const read = (file: string) => parseCertificate(new Uint8Array(readFileSync(join(certs, file))));
  const files = readdirSync(certs).filter((file) => file.endsWith(".crt"));
  const intermediates = files
    .filter((file) => !file.endsWith("EE.crt") && !file.startsWith("TrustAnchorRoot"))
    .flatMap((file) => {
      try {
        return [read(file)];
      } catch {
        return []; // a few PKITS certificates are deliberately unparseable
      }
    });
  const crlDir = join(root, "crls");
  const crls = prepareCrls(
    readdirSync(crlDir)
      .filter((file) => file.endsWith(".crl"))
      .sort()
      .map((file) => new Uint8Array(readFileSync(join(crlDir, file)))),
  );
  return {
    anchor: read("TrustAnchorRootCertificate.crt"),
    intermediates,
    crls,
    certificate: (stem) => read(`${stem}EE.crt`),
  };
}

describe.skipIf(ROOT === undefined)("PKITS 4.4, 4.14, 4.15 with caller-supplied CRLs (A21)", () => {
  const pkits = load(ROOT!);
  const verifier = new SignatureVerifier();
  const validator = new PathValidator({
    trustAnchors: [pkits.anchor],
    intermediates: pkits.intermediates,
    verifier,
    revocationChecker: createCrlRevocationChecker({
      crls: pkits.crls,
      mode: "hard",
      certificates: [pkits.anchor, ...pkits.intermediates],
      verifier,
    }),
  });

  it("reads every PKITS CRL", () => {
    expect(pkits.crls.ignored).toEqual([]);
    expect(pkits.crls.crls.length).toBeGreaterThan(150);
  });

  it.each(TESTS)("PKITS %s %s (hard mode): %s", async (_id, stem, expected) => {
    const result = await validator.validate(pkits.certificate(stem), NOW);
    expect(result.status === "valid" ? "valid" : result.reason.code).toBe(expected);
    if (result.status === "valid") {
      // Hard mode: every certificate but the anchor has a CRL that says "good".
      expect(result.revocation?.length).toBe(result.path.length - 1);
      expect(result.revocation?.every((status) => status.status === "good")).toBe(true);
      expect(result.revocation?.every((status) => status.crl?.length === 64)).toBe(true);
    } else if (expected === "revoked") {
      expect(result.reason["reasonCode"]).toBeTypeOf("number");
      expect(result.reason["revocationDate"]).toBeInstanceOf(Date);
      expect(result.reason["crl"]).toMatch(/^[0-9A-F]{64}$/);
    }
  });

  describe("soft mode (A21 default)", () => {
    const soft = new PathValidator({
      trustAnchors: [pkits.anchor],
      intermediates: pkits.intermediates,
      verifier,
      revocationChecker: createCrlRevocationChecker({
        crls: pkits.crls,
        certificates: [pkits.anchor, ...pkits.intermediates],
        verifier,
      }),
    });
    // Soft mode changes only the undecided: "revoked" stays invalid, "revocation-unknown"
    // becomes valid with an "unknown" status, and what hard mode accepts is accepted the same.
    it.each(TESTS)("PKITS %s %s (soft mode; hard: %s)", async (_id, stem, hard) => {
      const result = await soft.validate(pkits.certificate(stem), NOW);
      if (hard === "revoked") {
        expect(result.status === "invalid" && result.reason.code).toBe("revoked");
        return;
      }
      expect(result.status).toBe("valid");
      if (result.status !== "valid") return;
      const statuses = result.revocation?.map((status) => status.status) ?? [];
      if (hard === "valid") expect(statuses.every((status) => status === "good")).toBe(true);
      else expect(statuses).toContain("unknown");
    });
  });

  it("soft mode (A21 default): unknown keeps the path valid, revoked does not", async () => {
    const soft = new PathValidator({
      trustAnchors: [pkits.anchor],
      intermediates: pkits.intermediates,
      verifier,
      revocationChecker: createCrlRevocationChecker({
        crls: pkits.crls,
        certificates: [pkits.anchor, ...pkits.intermediates],
        verifier,
      }),
    });
    // 4.4.1 (no CRL at all): soft mode keeps the path valid and says "unknown" for the leaf.
    const missing = await soft.validate(pkits.certificate("InvalidMissingCRLTest1"), NOW);
    expect(missing.status).toBe("valid");
    if (missing.status === "valid") {
      expect(missing.revocation?.map((status) => status.status)).toEqual(["unknown", "good"]);
    }
    // 4.4.3 (revoked EE): revoked in either mode.
    const revoked = await soft.validate(pkits.certificate("InvalidRevokedEETest3"), NOW);
    expect(revoked.status === "invalid" ? revoked.reason.code : "valid").toBe("revoked");
  });
});
