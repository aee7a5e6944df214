// Differential test (issue 3 §5, issue 12): a seeded corpus of generated chains, each validated by
// our PathValidator in both profiles (A3) and by OpenSSL: the default profile ("rfc5280") against
// `openssl verify -purpose sslserver -attime T`, the strict profile against the same with
// `-x509_strict`. Every disagreement must be explained by a rule we chose on purpose; any other
// fails the test.
//
// The explained classes:
// - A4: validity is inclusive at both ends; OpenSSL treats now == notAfter as expired.
// - A13: a leaf EKU of anyExtendedKeyUsage allows TLS server authentication (OpenSSL's sslserver
//   purpose wants serverAuth); strict profile only: keyCertSign is required of a CA only when it
//   has a keyUsage (OpenSSL -x509_strict requires the keyUsage itself).
// - Strict profile only, RFC 5280 §4.2.1.1: a trust anchor that is not self-signed must carry an
//   authority key identifier like any other issued certificate; OpenSSL (-partial_chain) ignores
//   it. The default profile never rejects what OpenSSL accepts (A17: an anchor is a name and a key).
// - A17, default profile: a v3 root with neither basicConstraints nor keyUsage anchors a path;
//   OpenSSL refuses it as a CA (error 79) whatever -x509_strict says.
// - Backtracking (issue 3 §2): we try every alternative issuer; OpenSSL commits to one chain.
//   Explained only when OpenSSL itself accepts the exact path we found.
// Cases whose trust anchor is an intermediate are given to OpenSSL with -partial_chain (its way
// of trusting a certificate that is not self-signed), the others without.
import { describe, expect, it } from "vitest";

import { parseCertificate } from "../../src/x509/certificate.js";
import {
  type PathResult,
  PathValidator,
  type ValidationProfile,
} from "../../src/x509/path/validator.js";
import { SignatureVerifier } from "../../src/x509/signature.js";
import {
  type GeneratedChain,
  generateChains,
  NOW,
  type OpensslVerdict,
  opensslAvailable,
  opensslVerifyBatch,
} from "../support/chains.js";

const SEED = Number(process.env["PATH_DIFF_SEED"] ?? 20240601);
const COUNT = Number(process.env["PATH_DIFF_COUNT"] ?? 320);
const hasOpenssl = opensslAvailable();

if (!hasOpenssl) {
  console.warn("\n*** openssl not found on PATH: differential path-validation test SKIPPED ***\n");
}

interface Outcome {
  readonly profile: ValidationProfile;
  readonly chain: GeneratedChain;
  readonly ours: PathResult;
  readonly openssl: OpensslVerdict;
  /** OpenSSL's verdict on the exact path we found, when we found one and OpenSSL said no. */
  readonly opensslOnOurPath?: OpensslVerdict;
}

const errorCode = (line: string): number => Number(/^error (\d+)/.exec(line)?.[1] ?? -1);

/** OpenSSL error numbers a tag explains (see the header). */
const EXPLAINED_BY_TAG: readonly { tag: RegExp; codes: readonly number[]; rule: string }[] = [
  { tag: /:boundaryNotAfter$/, codes: [10], rule: "A4 (notAfter inclusive)" },
  { tag: /:ca-without-ku$/, codes: [92, 81], rule: "A13 (keyUsage optional on CAs)" },
  { tag: /^leaf:eku-anyEku$/, codes: [26], rule: "A13 (anyExtendedKeyUsage)" },
  // Default profile: a v3 root with neither basicConstraints nor keyUsage still anchors (A17: a
  // name and a key); OpenSSL's X509_check_ca wants one of the two on a v3 certificate.
  { tag: /^root:bc-missing$/, codes: [79, 26], rule: "A17 (anchor without basicConstraints)" },
];

/** Why we and OpenSSL disagree, or undefined when nothing we chose explains it. */
function explain(outcome: Outcome): string | undefined {
  const { chain, ours, openssl } = outcome;
  if (ours.status === "invalid" && openssl.ok) {
    if (outcome.profile === "rfc5280") return undefined;
    // Rejecting what OpenSSL accepts is one of our choices in one place only: a trust anchor
    // that is not self-signed must still carry an AKI (x509-limbo's
    // rfc5280::aki::cross-signed-root-missing-aki); OpenSSL never looks at an anchor's AKI.
    const anchorLevel = chain.tags.find((tag) => tag.endsWith(":trusted-anchor"))?.split(":")[0];
    const anchorLacksAki =
      anchorLevel !== undefined && chain.tags.includes(`${anchorLevel}:no-aki`);
    return anchorLacksAki && ours.reason.code === "missing-key-identifier"
      ? "RFC 5280 §4.2.1.1 (AKI on a trust anchor that is not self-signed)"
      : undefined;
  }
  if (ours.status !== "valid" || openssl.ok) return undefined;
  const rules = new Set<string>();
  let errors = openssl.errors;
  // With alternatives, judge OpenSSL's verdict on the exact path we chose.
  const onOurPath = outcome.opensslOnOurPath;
  if (chain.tags.some((tag) => tag.startsWith("cross-signed:")) && onOurPath !== undefined) {
    rules.add("issue 3 §2 (backtracking: OpenSSL committed to another path)");
    errors = onOurPath.ok ? [] : onOurPath.errors;
  }
  for (const line of errors) {
    const reason = EXPLAINED_BY_TAG.find(
      (entry) =>
        entry.codes.includes(errorCode(line)) && chain.tags.some((tag) => entry.tag.test(tag)),
    );
    if (reason === undefined) return undefined;
    rules.add(reason.rule);
  }
  return rules.size > 0 ? [...rules].join(", ") : undefined;
}

const corpus = generateChains(SEED, COUNT);

async function runCorpus(profile: ValidationProfile): Promise<Outcome[]> {
  const chains = await corpus;
  const strict = profile === "strict";
  const partial = (chain: GeneratedChain) =>
    chain.tags.some((tag) => tag.endsWith(":trusted-anchor"));
  const openssl = new Map([
    ...opensslVerifyBatch(
      chains.filter((c) => !partial(c)),
      NOW,
      { strict },
    ),
    ...opensslVerifyBatch(chains.filter(partial), NOW, { partialChain: true, strict }),
  ]);
  const verifier = new SignatureVerifier();
  const first: Outcome[] = [];
  for (const chain of chains) {
    const validator = new PathValidator({
      trustAnchors: chain.trustAnchors.map((der) => parseCertificate(der)),
      intermediates: chain.intermediates.map((der) => parseCertificate(der)),
      verifier,
      profile,
    });
    const ours = await validator.validate(parseCertificate(chain.leaf), NOW);
    const verdict = openssl.get(chain.id);
    if (verdict === undefined) throw new Error(`no OpenSSL verdict for ${chain.id}`);
    first.push({ profile, chain, ours, openssl: verdict });
  }
  // Our exact path, given alone to OpenSSL, for the cases where only we found one.
  const ourPaths = first.flatMap(({ chain, ours, openssl: verdict }) =>
    ours.status === "valid" && !verdict.ok
      ? [
          {
            id: chain.id,
            leaf: chain.leaf,
            intermediates: ours.path.slice(1, -1).map((c) => c.der),
            trustAnchors: [ours.path[ours.path.length - 1]!.der],
          },
        ]
      : [],
  );
  const again = opensslVerifyBatch(ourPaths, NOW, { partialChain: true, strict });
  return first.map((outcome) => {
    const onPath = again.get(outcome.chain.id);
    return onPath === undefined ? outcome : { ...outcome, opensslOnOurPath: onPath };
  });
}

describe.skipIf(!hasOpenssl)("differential: PathValidator vs openssl verify, both profiles", () => {
  it.each([
    ["rfc5280", "openssl verify"],
    ["strict", "openssl verify -x509_strict"],
  ] as const)(
    `A3: profile %s agrees with %s on ${COUNT} seeded chains (seed ${SEED}), or each disagreement has its rule`,
    async (profile, _oracle) => {
      const outcomes = await runCorpus(profile);
      const disagreements = outcomes.filter((o) => (o.ours.status === "valid") !== o.openssl.ok);
      const unexplained = disagreements.filter((o) => explain(o) === undefined);
      const byRule = new Map<string, number>();
      for (const o of disagreements) {
        const rule = explain(o) ?? "UNEXPLAINED";
        byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
      }
      const valid = outcomes.filter((o) => o.ours.status === "valid").length;
      console.info(
        `differential (${profile}): ${outcomes.length} chains (${valid} valid for us), ${disagreements.length} disagreements: ` +
          JSON.stringify(Object.fromEntries(byRule)),
      );
      const report = unexplained.map(
        (o) =>
          `${o.chain.id} [${o.chain.tags.join(", ")}] ours=${o.ours.status === "valid" ? "valid" : o.ours.reason.code} openssl=${o.openssl.ok ? "OK" : o.openssl.errors.join(" / ")}`,
      );
      expect(report).toEqual([]);
      // The corpus must exercise both verdicts and the mutations the issue lists.
      expect(valid).toBeGreaterThan(COUNT / 10);
      const tags = outcomes.flatMap((o) => o.chain.tags).join(" ");
      for (const needed of [
        "leaf:expired",
        "root:expired",
        "int1:notYetValid",
        "wrong-signer",
        "corrupt-signature",
        "bc-missing",
        "bc-false",
        "pathlen-0-below-1",
        "ku-without-keycertsign",
        "eku-clientAuth",
        "cross-signed:root-expired",
        "root:untrusted",
      ]) {
        expect(tags, needed).toContain(needed);
      }
    },
    120_000,
  );
});
