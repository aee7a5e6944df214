// Differential test of CRL revocation (A21) against `openssl verify -crl_check_all`: the same
// chains (root → CA → leaf, committed keys) and the same CRLs, our hard mode (OpenSSL has no
// soft mode: a missing CRL is an error). Both must agree on valid / invalid, and on "revoked"
// (OpenSSL error 23) versus every other CRL failure ("revocation-unknown" here).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { ParsedCertificate } from "../../src/x509/certificate.js";
import { validateCertificatePath } from "../../src/x509/validate-path.js";
import { cn, days, intermediate, leaf, NOW, opensslAvailable, root } from "../support/chains.js";
import { type KeyName, toPem } from "../support/forge.js";
import {
  type CrlSpec,
  crlDistributionPoints,
  forgeCrl,
  idp,
  REASON,
  toCrlPem,
} from "./crl-forge.js";

const hasOpenssl = opensslAvailable();
if (!hasOpenssl) console.warn("\n*** openssl not found: CRL differential test SKIPPED ***\n");

interface Chain {
  readonly root: ParsedCertificate;
  readonly ca: ParsedCertificate;
  readonly leaf: ParsedCertificate;
  /** The indirect CRL issuer's certificate (issued by the CA), for `indirect` cases. */
  readonly crlIssuer?: ParsedCertificate;
  readonly names: { readonly root: string; readonly ca: string; readonly crlIssuer: string };
}

const KEYS = {
  root: "p256-1",
  ca: "p256-2",
  leaf: "p256-3",
  other: "p256-4",
  crlIssuer: "p256-5",
} as const;

/** What one case supplies: CRLs built against its chain, and whether deltas are in use. */
interface Case {
  readonly id: string;
  /** CA certificate overrides (e.g. a keyUsage without cRLSign). */
  readonly ca?: Parameters<typeof intermediate>[2];
  readonly crls: (chain: Chain) => readonly Uint8Array[];
  readonly deltas?: boolean;
  /**
   * The leaf names an indirect CRL issuer in its cRLDistributionPoints (RFC 5280 §6.3.3
   * (b)(1)); that issuer's certificate is issued by the CA. OpenSSL needs -extended_crl.
   */
  readonly indirect?: boolean;
  /** A deliberate difference from OpenSSL: our verdict, and why. */
  readonly divergence?: { readonly ours: string; readonly why: string };
}

/**
 * freshestCRL (RFC 5280 §5.2.6) on a base CRL: OpenSSL applies a delta CRL only when the
 * certificate or the base carries one; we apply any supplied delta whose base matches.
 */
const freshest = {
  extensions: [{ oid: "2.5.29.46", value: crlDistributionPoints({ uri: "http://x/delta.crl" }) }],
};

const current = { thisUpdate: days(-1), nextUpdate: days(6) } as const;

function crl(issuer: string, signer: KeyName, extra: Partial<CrlSpec> = {}): Uint8Array {
  return forgeCrl({ issuer: cn(issuer), signer, crlNumber: 1, ...current, ...extra });
}
const rootCrl = (c: Chain, extra: Partial<CrlSpec> = {}) => crl(c.names.root, KEYS.root, extra);
const caCrl = (c: Chain, extra: Partial<CrlSpec> = {}) => crl(c.names.ca, KEYS.ca, extra);
/**
 * The CA's CRL in indirect cases: scoped (issuingDistributionPoint) to the point the indirect
 * issuer's certificate names, so that only the indirect CRL can decide the leaf. (OpenSSL would
 * otherwise decide the leaf with a CA CRL of full scope, although the leaf's only distribution
 * point names another CRL issuer; RFC 5280 §6.3.3 (b)(1) and we do not.)
 */
const CA_POINT = "http://crl.example/ca.crl";
const caScoped = (c: Chain, extra: Partial<CrlSpec> = {}) =>
  caCrl(c, { idp: idp({ uri: CA_POINT }), ...extra });
const indirectCrl = (c: Chain, entries: CrlSpec["entries"]) =>
  crl(c.names.crlIssuer, KEYS.crlIssuer, {
    idp: idp({ indirect: true }),
    ...(entries === undefined ? {} : { entries }),
  });
const listing = (certificate: ParsedCertificate, reason?: number, date?: Date) => ({
  entries: [
    {
      serial: certificate.serialNumber,
      ...(reason === undefined ? {} : { reason }),
      ...(date === undefined ? {} : { date }),
    },
  ],
});

const CASES: readonly Case[] = [
  { id: "good", crls: (c) => [rootCrl(c), caCrl(c)] },
  {
    id: "leaf-revoked",
    crls: (c) => [rootCrl(c), caCrl(c, listing(c.leaf, REASON.keyCompromise))],
  },
  { id: "ca-revoked", crls: (c) => [rootCrl(c, listing(c.ca, REASON.cACompromise)), caCrl(c)] },
  {
    id: "leaf-revoked-later-date",
    crls: (c) => [rootCrl(c), caCrl(c, listing(c.leaf, undefined, days(3)))],
  },
  { id: "leaf-other-serial", crls: (c) => [rootCrl(c), caCrl(c, { entries: [{ serial: "7F" }] })] },
  {
    id: "ca-crl-expired",
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { ...listing(c.leaf), thisUpdate: days(-10), nextUpdate: days(-1) }),
    ],
  },
  {
    id: "ca-crl-not-yet-valid",
    crls: (c) => [rootCrl(c), caCrl(c, { thisUpdate: days(1), nextUpdate: days(8) })],
  },
  { id: "ca-crl-wrong-signer", crls: (c) => [rootCrl(c), caCrl(c, { signer: KEYS.other })] },
  {
    id: "ca-crl-corrupt-signature",
    crls: (c) => [rootCrl(c), caCrl(c, { corruptSignature: true })],
  },
  { id: "ca-crl-missing", crls: (c) => [rootCrl(c)] },
  { id: "root-crl-missing", crls: (c) => [caCrl(c)] },
  { id: "ca-crl-no-next-update", crls: (c) => [rootCrl(c), caCrl(c, { nextUpdate: null })] },
  { id: "ca-crl-v1", crls: (c) => [rootCrl(c), caCrl(c, { v1: true })] },
  {
    id: "ca-crl-unknown-critical-extension",
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { extensions: [{ oid: "1.2.3.4", critical: true, value: Uint8Array.of(5, 0) }] }),
    ],
  },
  {
    id: "ca-crl-unknown-noncritical-extension",
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { extensions: [{ oid: "1.2.3.4", value: Uint8Array.of(5, 0) }] }),
    ],
  },
  {
    id: "ca-crl-unknown-critical-entry-extension",
    crls: (c) => [
      rootCrl(c),
      caCrl(c, {
        entries: [
          {
            serial: "7F",
            extensions: [{ oid: "1.2.3.4", critical: true, value: Uint8Array.of(5, 0) }],
          },
        ],
      }),
    ],
  },
  {
    id: "ca-crl-expired-beside-current",
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { ...listing(c.leaf), thisUpdate: days(-10), nextUpdate: days(-2), crlNumber: 1 }),
      caCrl(c, { crlNumber: 2 }),
    ],
  },
  {
    id: "ca-crl-only-ca-certs",
    crls: (c) => [rootCrl(c), caCrl(c, { idp: idp({ onlyCA: true }) })],
  },
  {
    id: "ca-crl-only-user-certs",
    crls: (c) => [rootCrl(c), caCrl(c, { ...listing(c.leaf), idp: idp({ onlyUser: true }) })],
  },
  {
    id: "ca-without-crl-sign",
    ca: { keyUsage: ["keyCertSign"] },
    crls: (c) => [rootCrl(c), caCrl(c)],
  },
  {
    id: "indirect-good",
    indirect: true,
    crls: (c) => [rootCrl(c), caScoped(c), indirectCrl(c, [])],
  },
  {
    id: "indirect-revoked",
    indirect: true,
    crls: (c) => [
      rootCrl(c),
      caScoped(c),
      indirectCrl(c, [
        {
          serial: c.leaf.serialNumber,
          reason: REASON.keyCompromise,
          certificateIssuer: cn(c.names.ca),
        },
      ]),
    ],
  },
  {
    id: "indirect-entry-of-another-issuer",
    indirect: true,
    // Without certificateIssuer the entry is for the CRL issuer's own certificates.
    crls: (c) => [rootCrl(c), caScoped(c), indirectCrl(c, [{ serial: c.leaf.serialNumber }])],
  },
  {
    id: "indirect-crl-not-marked-indirect",
    indirect: true,
    crls: (c) => [
      rootCrl(c),
      caScoped(c),
      crl(c.names.crlIssuer, KEYS.crlIssuer, {
        entries: [{ serial: c.leaf.serialNumber, certificateIssuer: cn(c.names.ca) }],
      }),
    ],
  },
  {
    id: "indirect-leaf-with-only-the-ca-full-crl",
    indirect: true,
    crls: (c) => [rootCrl(c), caCrl(c)],
    divergence: {
      ours: "revocation-unknown",
      why:
        "RFC 5280 §6.3.3 (b)(1) and PKITS 4.14.27: the leaf's only distribution point names " +
        "another CRL issuer; OpenSSL also accepts any full-scope CRL of the certificate's issuer",
    },
  },
  {
    id: "indirect-issuer-revoked",
    indirect: true,
    crls: (c) => [rootCrl(c), caScoped(c, listing(c.crlIssuer!)), indirectCrl(c, [])],
  },
  {
    id: "delta-revokes",
    deltas: true,
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { crlNumber: 10, ...freshest }),
      caCrl(c, { crlNumber: 11, baseCrlNumber: 10, ...listing(c.leaf, REASON.keyCompromise) }),
    ],
  },
  {
    id: "delta-revokes-without-freshest-crl",
    deltas: true,
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { crlNumber: 10 }),
      caCrl(c, { crlNumber: 11, baseCrlNumber: 10, ...listing(c.leaf, REASON.keyCompromise) }),
    ],
    divergence: {
      ours: "revoked",
      why: "A21: the caller supplied the delta; OpenSSL reads deltas only through freshestCRL",
    },
  },
  {
    id: "delta-remove-from-crl",
    deltas: true,
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { crlNumber: 10, ...freshest, ...listing(c.leaf, REASON.certificateHold) }),
      caCrl(c, { crlNumber: 11, baseCrlNumber: 10, ...listing(c.leaf, REASON.removeFromCRL) }),
    ],
  },
  {
    id: "base-hold-without-delta",
    deltas: true,
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { crlNumber: 10, ...listing(c.leaf, REASON.certificateHold) }),
    ],
  },
  {
    id: "delta-only",
    deltas: true,
    crls: (c) => [rootCrl(c), caCrl(c, { crlNumber: 11, baseCrlNumber: 10, ...listing(c.leaf) })],
  },
  {
    id: "delta-expired",
    deltas: true,
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { crlNumber: 10, ...freshest }),
      caCrl(c, {
        crlNumber: 11,
        baseCrlNumber: 10,
        thisUpdate: days(-3),
        nextUpdate: days(-1),
        ...listing(c.leaf),
      }),
    ],
    divergence: {
      ours: "valid",
      why: "A21: an expired CRL never decides; OpenSSL 3.0 does not check a delta CRL's dates",
    },
  },
  {
    id: "delta-base-too-new",
    deltas: true,
    crls: (c) => [
      rootCrl(c),
      caCrl(c, { crlNumber: 10, ...freshest }),
      caCrl(c, { crlNumber: 13, baseCrlNumber: 12, ...listing(c.leaf) }),
    ],
  },
];

interface Outcome {
  readonly ours: string;
  readonly openssl: { readonly ok: boolean; readonly errors: readonly string[] };
}

function opensslVerify(
  chain: Chain,
  crls: readonly Uint8Array[],
  options: { readonly deltas: boolean; readonly extended: boolean },
) {
  const { deltas } = options;
  const dir = mkdtempSync(join(tmpdir(), "crl-diff-"));
  try {
    writeFileSync(join(dir, "root.pem"), toPem(chain.root.der));
    writeFileSync(
      join(dir, "ca.pem"),
      [chain.ca, ...(chain.crlIssuer ? [chain.crlIssuer] : [])].map((c) => toPem(c.der)).join("\n"),
    );
    writeFileSync(join(dir, "leaf.pem"), toPem(chain.leaf.der));
    writeFileSync(join(dir, "crls.pem"), crls.map(toCrlPem).join(""));
    const run = spawnSync(
      "openssl",
      [
        "verify",
        "-purpose",
        "sslserver",
        "-crl_check_all",
        // Deltas need both flags: without -extended_crl OpenSSL skips delta processing.
        ...(deltas ? ["-extended_crl", "-use_deltas"] : options.extended ? ["-extended_crl"] : []),
        "-attime",
        String(Math.floor(NOW.getTime() / 1000)),
        "-CAfile",
        join(dir, "root.pem"),
        "-untrusted",
        join(dir, "ca.pem"),
        "-CRLfile",
        join(dir, "crls.pem"),
        join(dir, "leaf.pem"),
      ],
      { encoding: "utf8" },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    const errors = [...output.matchAll(/^error (\d+) at (\d+) depth lookup: (.*)$/gm)].map(
      (match) => `${match[1]} at ${match[2]}: ${match[3]}`,
    );
    return { ok: run.status === 0 && /: OK$/m.test(run.stdout), errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasOpenssl)(
  "A21 differential: CRL revocation against openssl verify -crl_check_all",
  () => {
    const outcomes = new Map<string, Outcome>();

    beforeAll(async () => {
      for (const testCase of CASES) {
        const names = {
          root: `CRL Diff Root ${testCase.id}`,
          ca: `CRL Diff CA ${testCase.id}`,
          crlIssuer: `CRL Diff Indirect Issuer ${testCase.id}`,
        };
        const rootNode = { name: names.root, key: KEYS.root };
        const caNode = { name: names.ca, key: KEYS.ca };
        const dp = crlDistributionPoints({ crlIssuer: cn(names.crlIssuer) });
        const chain: Chain = {
          root: await root(rootNode),
          ca: await intermediate(caNode, rootNode, testCase.ca ?? {}),
          leaf: await leaf(
            { name: `${testCase.id}.crl-diff.example`, key: KEYS.leaf },
            caNode,
            testCase.indirect
              ? { extraExtensions: [{ oid: "2.5.29.31", critical: false, value: dp }] }
              : {},
          ),
          ...(testCase.indirect
            ? {
                crlIssuer: await leaf({ name: names.crlIssuer, key: KEYS.crlIssuer }, caNode, {
                  keyUsage: ["cRLSign"],
                  eku: undefined,
                  san: undefined,
                  extraExtensions: [
                    {
                      oid: "2.5.29.31",
                      critical: false,
                      value: crlDistributionPoints({ uri: CA_POINT }),
                    },
                  ],
                }),
              }
            : {}),
          names,
        };
        const crls = testCase.crls(chain);
        const result = await validateCertificatePath({
          certificate: chain.leaf.der,
          trustAnchors: [chain.root.der],
          intermediates: [chain.ca.der, ...(chain.crlIssuer ? [chain.crlIssuer.der] : [])],
          now: NOW,
          crls,
          revocationMode: "hard",
        });
        outcomes.set(testCase.id, {
          ours: result.status === "valid" ? "valid" : result.reason.code,
          openssl: opensslVerify(chain, crls, {
            deltas: testCase.deltas === true,
            extended: testCase.indirect === true,
          }),
        });
      }
    });

    afterAll(() => {
      // One line per case, for the report: ours vs OpenSSL's first error.
      const lines = [...outcomes].map(
        ([id, o]) =>
          `${id}: ours=${o.ours} openssl=${o.openssl.ok ? "OK" : o.openssl.errors.join(" / ")}`,
      );
      if (process.env["CRL_DIFF_VERBOSE"]) console.log(lines.join("\n"));
    });

    it.each(CASES.map((c) => c.id))("A21: %s agrees with OpenSSL", (id) => {
      const outcome = outcomes.get(id)!;
      // The CLI keeps going after an error; the first one is the verdict (an expired CRL that
      // lists the certificate reports 12, then 23: the CRL was unusable).
      const first = outcome.openssl.errors[0] ?? "";
      const theirs = outcome.openssl.ok
        ? "valid"
        : first.startsWith("23 ")
          ? "revoked"
          : "revocation-unknown";
      const divergence = CASES.find((c) => c.id === id)?.divergence;
      if (divergence !== undefined) {
        expect(theirs).not.toBe(divergence.ours);
        expect(outcome.ours).toBe(divergence.ours);
        return;
      }
      expect({ id, verdict: outcome.ours }).toEqual({ id, verdict: theirs });
    });
  },
);
