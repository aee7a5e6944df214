// Step 8 (R11–R13; A3, A6, A11, A14): order the eligible certificates by Valid-from, newest
// first, ties broken by the later Valid-to and then the thumbprint (A11) so the store's order
// never matters. The best is the first valid-PKI certificate (R12); failing that, the first
// self-signed one (R13) whatever its dates (A14). Trust is evaluated in rank order and only as
// far as needed: once a valid-PKI certificate is found, the rest are not checked (their trust
// stays null), which keeps signature checks to the few the ranking reaches.
import type { TraceStep, TrustVerdict } from "../../types.js";
import type { ParsedCertificate } from "../../x509/certificate.js";
import { readonlyDate } from "../../x509/readonly-date.js";
import type { TrustEvaluator } from "../trust.js";
import type { EligibilityVerdict } from "./eligibility.js";

type Eligible = EligibilityVerdict & { readonly eligible: true };

export interface RankedCertificate {
  readonly verdict: Eligible;
  readonly rank: number;
  readonly trust: TrustVerdict | null;
  readonly path: readonly ParsedCertificate[] | null;
}

export interface Ranking {
  readonly ranked: readonly RankedCertificate[];
  readonly best: RankedCertificate | null;
  readonly basis: "pki" | "self-signed" | null;
  readonly trace: TraceStep;
}

/** R11 + A11: notBefore descending, then notAfter descending, then thumbprint ascending. */
export function compareRank(a: ParsedCertificate, b: ParsedCertificate): number {
  return (
    b.notBefore.getTime() - a.notBefore.getTime() ||
    b.notAfter.getTime() - a.notAfter.getTime() ||
    (a.thumbprint < b.thumbprint ? -1 : a.thumbprint > b.thumbprint ? 1 : 0)
  );
}

/**
 * Which rules the ranking applies: R11–R13 (outbound anonymous), or S6 (STARTTLS: order, valid
 * PKI and the self-signed fallback are one rule there), where A22 leaves the candidate's own
 * dates out of "valid PKI" (S8 reports them). Finding nothing is no failure of the anonymous
 * process (1037 reports it, A8) but is S7's end of the STARTTLS one (12014).
 */
const RULES = {
  anonymous: {
    order: "R11",
    pki: "R12",
    fallback: "R13",
    nothing: null,
    leafValidity: true,
  },
  starttls: { order: "S6", pki: "S6", fallback: "S6", nothing: "S7", leafValidity: false },
} as const;

export async function rankEligible(
  eligible: readonly Eligible[],
  now: Date,
  trust: TrustEvaluator,
  process: keyof typeof RULES = "anonymous",
): Promise<Ranking> {
  const rules = RULES[process];
  const evaluateOptions = { leafValidity: rules.leafValidity };
  const ordered = [...eligible].sort((a, b) =>
    compareRank(a.certificate.certificate, b.certificate.certificate),
  );
  const evaluations: ({ verdict: TrustVerdict; path: readonly ParsedCertificate[] } | null)[] =
    ordered.map(() => null);

  // R12: the first valid PKI certificate in rank order.
  let bestIndex = -1;
  let basis: Ranking["basis"] = null;
  for (const [i, candidate] of ordered.entries()) {
    const evaluation = await trust.evaluate(
      candidate.certificate.certificate,
      now,
      evaluateOptions,
    );
    evaluations[i] = evaluation;
    if (evaluation.verdict.kind === "pki") {
      bestIndex = i;
      basis = "pki";
      break;
    }
  }
  // R13: none is valid PKI, so the first self-signed one (every candidate was evaluated above).
  if (bestIndex < 0) {
    bestIndex = evaluations.findIndex((e) => e?.verdict.kind === "self-signed");
    if (bestIndex >= 0) basis = "self-signed";
  }

  const ranked = ordered.map(
    (verdict, i): RankedCertificate => ({
      verdict,
      rank: i + 1,
      trust: evaluations[i]?.verdict ?? null,
      path: evaluations[i]?.path ?? null,
    }),
  );
  const best = bestIndex >= 0 ? ranked[bestIndex]! : null;
  const bestCertificate = best?.verdict.certificate.certificate;
  return {
    ranked,
    best,
    basis,
    trace: {
      step: "ranking",
      // R13 is cited whenever the fallback was looked for, found or not; S7 when nothing was.
      rules: [
        ...new Set([
          rules.order,
          rules.pki,
          ...(basis === "pki" || ordered.length === 0 ? [] : [rules.fallback]),
          ...(best === null && rules.nothing !== null ? [rules.nothing] : []),
        ]),
      ],
      status: best === null && rules.nothing !== null ? "failed" : "passed",
      summary:
        best === null
          ? ordered.length === 0
            ? "no eligible certificate to rank"
            : `no eligible certificate is valid PKI or self-signed${rules.nothing === null ? "" : `; nothing can be presented (${rules.nothing}), 12014 is logged`}`
          : `best candidate: ${bestCertificate!.thumbprint} (rank ${best.rank}, ${basis === "pki" ? `first valid PKI certificate, ${rules.pki}` : `no valid PKI certificate, so the first self-signed one, ${rules.fallback}`})`,
      data: {
        order: ranked.map((r) => ({
          rank: r.rank,
          thumbprint: r.verdict.certificate.certificate.thumbprint,
          notBefore: readonlyDate(r.verdict.certificate.certificate.notBefore),
          trust: r.trust?.kind ?? "not-evaluated",
        })),
        best: bestCertificate?.thumbprint ?? null,
        basis,
      },
    },
  };
}
