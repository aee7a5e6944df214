// The command with CRLs (issue 16 item 3, A21): a snapshot's `crls`, --revocation hard and
// --profile strict, as a process, in text and JSON (checked against the output schema). The
// Edge snapshot's directory names the self-signed certificate while a CA-issued one (leaf-rsa)
// is the best candidate (R12), so 1037 is logged (R15); revoking leaf-rsa takes it out of
// "valid PKI" and the self-signed certificate ranks first (R13): 1037 goes.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

import type { JsonOutput } from "../../src/cli/output.js";
import { parseCertificate } from "../../src/x509/certificate.js";
import { forgeCrl, REASON, toCrlPem } from "../revocation/crl-forge.js";
import { fixture, NOW } from "../support/fixtures.js";
import { assertValid, validateOutput } from "./schemas.js";
import { expectNoStack, run, tempDir, writeEdgeSnapshot, writeJson } from "./support.js";

const DAY = 86_400_000;
const INTER_RSA = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Issuing CA (RSA)"],
] as const;
const ROOT_RSA = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Root CA (RSA)"],
] as const;

let dir: string;
let edge: string;
let revoked: string;
let clean: string;

/** The Edge snapshot with extra top-level fields. */
function variant(name: string, extra: Record<string, unknown>): string {
  const base = JSON.parse(readFileSync(edge, "utf8")) as Record<string, unknown>;
  return writeJson(dir, name, { ...base, ...extra });
}

function json(stdout: string): JsonOutput {
  const output = JSON.parse(stdout) as JsonOutput;
  assertValid(validateOutput, output);
  return output;
}

const leafRsa = () => fixture("leaf-rsa").thumbprint;
const trustOf = (output: JsonOutput, thumbprint: string) =>
  output.decision.certificates.find((c) => c.thumbprint === thumbprint)?.trust;

beforeAll(() => {
  dir = tempDir("revocation");
  edge = writeEdgeSnapshot(dir);
  const thisUpdate = new Date(NOW.getTime() - DAY);
  const nextUpdate = new Date(NOW.getTime() + 7 * DAY);
  // inter-rsa's CRL listing leaf-rsa, as a PEM file; root-rsa's (empty) as base64 DER.
  writeFileSync(
    join(dir, "issuing.crl"),
    toCrlPem(
      forgeCrl({
        issuer: INTER_RSA,
        signer: "rsa-2",
        thisUpdate,
        nextUpdate,
        crlNumber: 12,
        entries: [
          {
            serial: parseCertificate(fixture("leaf-rsa").der).serialNumber,
            date: new Date(NOW.getTime() - 2 * DAY),
            reason: REASON.superseded,
          },
        ],
      }),
    ),
  );
  const rootCrl = Buffer.from(
    forgeCrl({ issuer: ROOT_RSA, signer: "rsa-1", thisUpdate, nextUpdate, crlNumber: 3 }),
  ).toString("base64");
  revoked = variant("edge-revoked.json", {
    crls: [{ path: "issuing.crl" }, { base64: rootCrl }],
  });
  clean = variant("edge-clean.json", {
    crls: [
      {
        base64: Buffer.from(
          forgeCrl({ issuer: INTER_RSA, signer: "rsa-2", thisUpdate, nextUpdate, crlNumber: 13 }),
        ).toString("base64"),
      },
      { base64: rootCrl },
    ],
  });
});

describe("explain with CRLs (A21, R12/R13, R15)", () => {
  it("no CRLs: leaf-rsa is the best candidate, 1037; validation says no revocation checking", async () => {
    const result = await run(["explain", edge, "--json"]);
    const output = json(result.stdout);
    expect(output.decision.bestCandidate).toBe(leafRsa());
    expect(output.decision.events.map((e) => e.id)).toContain(1037);
    expect(output.validation).toEqual({ profile: "rfc5280", revocationMode: null, crls: [] });
    expect(trustOf(output, leafRsa())).toMatchObject({ kind: "pki", revocation: null });
  });

  it("leaf-rsa revoked: the self-signed certificate ranks first, 1037 goes; JSON shows the CRL", async () => {
    const result = await run(["explain", revoked, "--json"]);
    expectNoStack(result);
    expect(result.code).toBe(0);
    const output = json(result.stdout);
    expect(output.decision.bestCandidate).toBe(fixture("self-signed").thumbprint);
    expect(output.decision.thumbprintMatches).toBe(true);
    expect(output.decision.events.map((e) => e.id)).not.toContain(1037);
    expect(output.validation.revocationMode).toBe("soft");
    expect(output.validation.crls.map((c) => [c.source, c.crlNumber, c.entries])).toEqual([
      ["crls[0] (issuing.crl)", "12", 1],
      ["crls[1]", "3", 0],
    ]);
    const trust = trustOf(output, leafRsa());
    expect(trust?.kind).toBe("untrusted");
    expect(trust?.code).toBe("revoked");
    expect(trust?.revocation?.map((s) => [s.status, s.reason, s.crlNumber])).toEqual([
      ["revoked", "superseded", "12"],
      ["good", null, "3"],
    ]);
    expect(trust?.revocation?.[0]?.crl).toBe(output.validation.crls[0]!.id);
    expect(trust?.revocation?.[0]?.revocationDate).toBe(
      new Date(NOW.getTime() - 2 * DAY).toISOString(),
    );
  });

  it("the text explanation names the status and the deciding CRL per certificate", async () => {
    const result = await run(["explain", revoked]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Validation: profile rfc5280; revocation soft, 2 CRLs");
    expect(result.stdout).toContain("Revocation (A21, the supplied CRLs):");
    expect(result.stdout).toContain(
      `${leafRsa()} revoked (superseded, since ${new Date(NOW.getTime() - 2 * DAY).toISOString().slice(0, 10)}) by the CRL #12 of CN=Contoso Issuing CA (RSA), O=Contoso Test PKI`,
    );
    expect(result.stdout).toContain(
      `${fixture("inter-rsa").thumbprint} good by the CRL #3 of CN=Contoso Root CA (RSA), O=Contoso Test PKI`,
    );
  });

  it("--revocation hard without CRLs (RevocationCheckFailure): leaf-rsa is not valid PKI", async () => {
    const result = await run(["explain", edge, "--json", "--revocation", "hard"]);
    const output = json(result.stdout);
    expect(output.validation).toEqual({ profile: "rfc5280", revocationMode: "hard", crls: [] });
    expect(output.decision.bestCandidate).toBe(fixture("self-signed").thumbprint);
    expect(trustOf(output, leafRsa())).toMatchObject({
      kind: "untrusted",
      code: "revocation-unknown",
    });
    // Soft (explicit) without CRLs keeps it valid PKI, every status unknown.
    const soft = json((await run(["explain", edge, "--json", "--revocation", "soft"])).stdout);
    expect(soft.decision.bestCandidate).toBe(leafRsa());
    expect(trustOf(soft, leafRsa())?.revocation?.map((s) => s.status)).toEqual([
      "unknown",
      "unknown",
    ]);
  });

  it("--revocation hard with current CRLs that list nothing: leaf-rsa stays valid PKI, all good", async () => {
    const output = json((await run(["explain", clean, "--json", "--revocation", "hard"])).stdout);
    expect(output.decision.bestCandidate).toBe(leafRsa());
    expect(trustOf(output, leafRsa())?.revocation?.map((s) => s.status)).toEqual(["good", "good"]);
  });

  it("--profile strict is reflected in the JSON output; bad flag values are bad input (exit 2)", async () => {
    const strict = json((await run(["explain", edge, "--json", "--profile", "strict"])).stdout);
    expect(strict.validation.profile).toBe("strict");
    const badMode = await run(["explain", edge, "--revocation", "maybe"]);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toContain('--revocation must be soft or hard, got "maybe"');
    const badProfile = await run(["explain", edge, "--profile", "lax"]);
    expect(badProfile.code).toBe(2);
    expect(badProfile.stderr).toContain("--profile must be rfc5280 or strict");
    expectNoStack(badProfile);
  });
});
