// S4/S5: of the certificates that carry the name (S3), the eligible ones are X.509 v3 or later,
// have their private key (A9's sense), and are enabled for SMTP, except in the 2016 edition,
// where the SMTP flag does not gate (E4: such a certificate is still chosen, and the decision
// says so). Every condition is checked, so a verdict names the first that failed and any others.
// Certificates that do not carry the name keep their S3 exclusion, so the explanation shows
// every store certificate and why it was or was not considered.
import type { Exclusion, TraceStep } from "../../types.js";
import type { EditionRules } from "../editions.js";
import type { Eligibility, EligibilityVerdict } from "./eligibility.js";
import { privateKeyExclusion, smtpExclusion, versionExclusion } from "./eligibility.js";
import type { NameSearchVerdict } from "./store-search.js";

function judge(verdict: NameSearchVerdict, edition: EditionRules): EligibilityVerdict {
  const { certificate, match } = verdict;
  if (match === null) {
    return { eligible: false, certificate, exclusion: verdict.exclusion!, otherFailures: [] };
  }
  const exclusions = [
    versionExclusion("S4", certificate),
    privateKeyExclusion("S4", certificate),
    edition.smtpFlagGatesEligibility ? smtpExclusion("S4", certificate) : undefined,
  ].filter((e): e is Exclusion => e !== undefined);
  const [first, ...rest] = exclusions;
  if (first === undefined) return { eligible: true, certificate, match };
  return { eligible: false, certificate, exclusion: first, otherFailures: rest.map((e) => e.rule) };
}

export function findStartTlsEligible(
  verdicts: readonly NameSearchVerdict[],
  edition: EditionRules,
): Eligibility {
  const judged = verdicts.map((v) => judge(v, edition));
  const eligible = judged.filter((v): v is EligibilityVerdict & { eligible: true } => v.eligible);
  const considered = verdicts.filter((v) => v.match !== null).length;
  const withoutSmtp = eligible.filter((v) => smtpExclusion("S4", v.certificate) !== undefined);
  const trace: TraceStep = {
    step: "eligibility",
    rules: edition.smtpFlagGatesEligibility ? ["S4"] : ["S4", "E4"],
    status: eligible.length === 0 ? "failed" : "passed",
    summary:
      eligible.length === 0
        ? `none of the ${considered} certificates that carry the name is eligible (S5); 12014 is logged`
        : `${eligible.length} of the ${considered} certificates that carry the name are eligible` +
          (withoutSmtp.length > 0
            ? ` (${withoutSmtp.length} without SMTP enabled: E4, the ${edition.edition} edition does not require it)`
            : ""),
    data: {
      eligible: eligible.map((v) => v.certificate.certificate.thumbprint),
      excluded: judged.flatMap((v) =>
        v.eligible || v.exclusion.rule !== "S4"
          ? []
          : [
              {
                thumbprint: v.certificate.certificate.thumbprint,
                rule: v.exclusion.rule,
                code: v.exclusion.code,
              },
            ],
      ),
      withoutSmtp: withoutSmtp.map((v) => v.certificate.certificate.thumbprint),
    },
  };
  return { verdicts: judged, eligible, trace };
}
