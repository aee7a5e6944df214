// A17 (trust anchors are a name and a key), judged by OpenSSL: a root in each shape real public
// roots have (test/realworld/shapes.ts) anchors root -> intermediate -> leaf.
//
// - Default profile (A3, A17): valid wherever `openssl verify -purpose sslserver -attime T
//   -CAfile root -untrusted inter leaf` accepts the chain.
// - `profile: "strict"`: the same verdict as `openssl verify -x509_strict` for the same chain,
//   both ways, except the differences listed in STRICT_DIFFERENCES with their reason.
import { beforeAll, describe, expect, it } from "vitest";

import { type PathValidation, validateCertificatePath } from "../../src/x509/validate-path.js";
import { type OpensslVerdict, opensslAvailable, opensslVerify } from "./corpus.js";
import { buildChain, NOW, SHAPES, type ShapeChain } from "./shapes.js";

const HAS_OPENSSL = opensslAvailable();
const IN_CI = process.env["CI"] === "true";
if (!HAS_OPENSSL) console.warn("\n*** openssl not found: real-world root shapes SKIPPED ***\n");

// .ci/run installs openssl: in CI its absence is a failure, not a skip.
describe.runIf(IN_CI && !HAS_OPENSSL)("real-world root shapes (CI)", () => {
  it("has openssl", () => {
    expect.fail("openssl is missing in CI");
  });
});

/**
 * Shapes where our strict profile and `openssl verify -x509_strict` (OpenSSL 3.0) disagree on
 * purpose: our verdict, and why. Anything else that differs fails.
 */
const SERIAL_RULE =
  "strict adds RFC 5280 §4.1.2.2 (serial positive, at most 20 octets; README), for the anchor too; OpenSSL 3.0 -x509_strict checks no serial";
const ANCHOR_AKI_RULE =
  "strict holds a self-issued anchor's AKI to CABF BR 7.1.2.1.3 (key id only); OpenSSL -x509_strict only wants a key id in the AKI of certificates below the anchor";
const STRICT_DIFFERENCES: Readonly<
  Record<string, { readonly ours: string; readonly why: string }>
> = {
  "serial-zero": { ours: "bad-serial", why: SERIAL_RULE },
  "negative-serial": { ours: "bad-serial", why: SERIAL_RULE },
  "serial-zero-linked": { ours: "bad-serial", why: SERIAL_RULE },
  "negative-serial-linked": { ours: "bad-serial", why: SERIAL_RULE },
  "aki-issuer-serial": { ours: "bad-extension", why: ANCHOR_AKI_RULE },
  "aki-issuer-serial-only": { ours: "bad-extension", why: ANCHOR_AKI_RULE },
  "no-key-usage": {
    ours: "valid",
    why: "A13: a CA needs keyCertSign only when it has a keyUsage; OpenSSL -x509_strict requires the keyUsage itself (error 92)",
  },
};

interface Outcome {
  readonly chain: ShapeChain;
  openssl?: OpensslVerdict;
  opensslStrict?: OpensslVerdict;
  ours?: PathValidation;
  oursStrict?: PathValidation;
}

const verdict = (result: PathValidation | undefined): string =>
  result === undefined ? "?" : result.status === "valid" ? "valid" : result.reason.code;
const opensslText = (result: OpensslVerdict | undefined): string =>
  result === undefined ? "?" : result.ok ? "OK" : result.errors.join(" | ") || "failed";

describe.runIf(HAS_OPENSSL)("A17: real-world root shapes anchor a chain as OpenSSL says", () => {
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    for (const shape of SHAPES) outcomes.push({ chain: await buildChain(shape) });
    // Subjects carry the shape, so every chain can share one CAfile and one -untrusted file.
    const batch = {
      trusted: outcomes.map((o) => o.chain.pem.root),
      untrusted: outcomes.map((o) => o.chain.pem.intermediate),
      targets: outcomes.map((o) => o.chain.pem.leaf),
      at: NOW,
      sslServer: true,
    };
    const [plain, strict] = opensslVerify([
      { ...batch, strict: false },
      { ...batch, strict: true },
    ]);
    for (const [i, outcome] of outcomes.entries()) {
      outcome.openssl = plain![i]!;
      outcome.opensslStrict = strict![i]!;
      const input = {
        certificate: outcome.chain.leaf,
        intermediates: [outcome.chain.intermediate],
        trustAnchors: [outcome.chain.root],
        now: NOW,
      };
      outcome.ours = await validateCertificatePath(input);
      outcome.oursStrict = await validateCertificatePath({ ...input, profile: "strict" });
    }
    for (const o of outcomes) {
      console.log(
        `[realworld] shape ${o.chain.shape.id}: openssl ${opensslText(o.openssl)}, ours ${verdict(o.ours)};` +
          ` -x509_strict ${opensslText(o.opensslStrict)}, ours strict ${verdict(o.oursStrict)}`,
      );
    }
  });

  it("the control chain is valid for both, in both profiles (the harness works)", () => {
    const control = outcomes.find((o) => o.chain.shape.id === "modern")!;
    expect(control.openssl?.ok).toBe(true);
    expect(control.opensslStrict?.ok).toBe(true);
    expect(verdict(control.ours)).toBe("valid");
    expect(verdict(control.oursStrict)).toBe("valid");
  });

  it.each(SHAPES.map((shape) => [shape.id, shape.description]))(
    "A17 default profile, %s (%s): valid wherever openssl verify accepts the chain",
    (id) => {
      const outcome = outcomes.find((o) => o.chain.shape.id === id)!;
      // Every real-world shape is one OpenSSL accepts (that is why they are in the wild); the
      // wrong-serial control is the one it must refuse, which shows it reads the AKI serial.
      const control = outcome.chain.shape.linkByIssuerAndSerial === "wrong-serial";
      expect(outcome.openssl?.ok).toBe(!control);
      if (outcome.openssl?.ok) expect(verdict(outcome.ours)).toBe("valid");
      else {
        console.log(
          `[realworld] shape ${id}: openssl refuses (${opensslText(outcome.openssl)}), ours ${verdict(outcome.ours)}`,
        );
      }
    },
  );

  it.each(SHAPES.map((shape) => [shape.id, shape.description]))(
    "strict profile, %s (%s): the verdict of openssl verify -x509_strict",
    (id) => {
      const outcome = outcomes.find((o) => o.chain.shape.id === id)!;
      const ours = verdict(outcome.oursStrict);
      const theirs = opensslText(outcome.opensslStrict);
      const listed = STRICT_DIFFERENCES[id];
      if ((ours === "valid") === (outcome.opensslStrict?.ok === true)) {
        if (listed !== undefined) {
          console.log(`[realworld] shape ${id}: listed strict difference no longer occurs`);
        }
        return;
      }
      if (listed !== undefined && listed.ours === ours) {
        console.log(
          `[realworld] shape ${id}: strict ${ours} vs -x509_strict ${theirs}, explained: ${listed.why}`,
        );
        return;
      }
      expect.fail(`ours strict ${ours}, openssl -x509_strict ${theirs}: an unexplained difference`);
    },
  );
});
