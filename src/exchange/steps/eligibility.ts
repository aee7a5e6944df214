// Step 7 (R10, R10a–R10d; A2, A5, A7): which store certificates are eligible. Every condition is
// checked for every certificate, so the verdict names the first rule that excluded it (in
// R10a…R10d order) and also any others that fail; eligibility does not look at dates (A14).
import type { Exclusion, TraceStep } from "../../types.js";
import {
  certificateNames,
  findNameMatch,
  type HostName,
  type NameMatch,
} from "../../x509/dns-name.js";
import type { StoreCertificate } from "../store.js";
import { hasSmtpService } from "../vocabulary.js";

export type EligibilityVerdict =
  | { readonly eligible: true; readonly certificate: StoreCertificate; readonly match: NameMatch }
  | {
      readonly eligible: false;
      readonly certificate: StoreCertificate;
      readonly exclusion: Exclusion;
      readonly otherFailures: readonly Exclusion["rule"][];
    };

export interface Eligibility {
  readonly verdicts: readonly EligibilityVerdict[];
  readonly eligible: readonly (EligibilityVerdict & { readonly eligible: true })[];
  readonly trace: TraceStep;
}

function failures(
  candidate: StoreCertificate,
  domainList: readonly HostName[],
  wildcardNames: boolean,
): { exclusions: Exclusion[]; match: NameMatch | null } {
  const { certificate, entry, privateKey } = candidate;
  const exclusions: Exclusion[] = [];
  // R10a: X.509 version 3 or later.
  if (certificate.version < 3) {
    exclusions.push({
      rule: "R10a",
      code: `version-${certificate.version}`,
      message: `X.509 version ${certificate.version}; version 3 is required`,
      expected: "3",
      actual: String(certificate.version),
    });
  }
  // R10b: a private key is associated with it.
  if (!privateKey.usable) {
    exclusions.push({
      rule: "R10b",
      code: privateKey.reason,
      message: privateKey.detail,
      expected: "a private key",
      actual: privateKey.reason,
    });
  }
  // R10c (with R8's "FQDN matches"): one of its names is a domain-list entry (A2, A5, A7).
  const names = certificateNames(certificate);
  const match = findNameMatch(names, domainList, { wildcardNames });
  if (match === null) {
    exclusions.push({
      rule: "R10c",
      code: "no-matching-name",
      message: "none of its names is on the domain list",
      expected: domainList.join(", ") || "(empty domain list)",
      actual: names.map((n) => n.value).join(", ") || "(no names)",
    });
  }
  // R10d: enabled for SMTP with Enable-ExchangeCertificate.
  if (!hasSmtpService(entry.services)) {
    exclusions.push({
      rule: "R10d",
      code: "smtp-not-enabled",
      message: "the SMTP service is not enabled for it",
      expected: "SMTP",
      actual: entry.services.join(", ") || "(none)",
    });
  }
  return { exclusions, match };
}

export function findEligible(
  certificates: readonly StoreCertificate[],
  domainList: readonly HostName[],
  options: { readonly wildcardNames: boolean },
): Eligibility {
  const verdicts = certificates.map((candidate): EligibilityVerdict => {
    const { exclusions, match } = failures(candidate, domainList, options.wildcardNames);
    const [first, ...rest] = exclusions;
    if (first === undefined && match !== null)
      return { eligible: true, certificate: candidate, match };
    return {
      eligible: false,
      certificate: candidate,
      exclusion: first!,
      otherFailures: rest.map((e) => e.rule),
    };
  });
  const eligible = verdicts.filter((v): v is EligibilityVerdict & { eligible: true } => v.eligible);
  return {
    verdicts,
    eligible,
    trace: {
      step: "eligibility",
      rules: ["R10", "R10a", "R10b", "R10c", "R10d"],
      status: "passed",
      summary: `${eligible.length} of ${certificates.length} readable certificates are eligible`,
      data: {
        eligible: eligible.map((v) => v.certificate.certificate.thumbprint),
        excluded: verdicts.flatMap((v) =>
          v.eligible
            ? []
            : [
                {
                  thumbprint: v.certificate.certificate.thumbprint,
                  rule: v.exclusion.rule,
                  code: v.exclusion.code,
                },
              ],
        ),
      },
    },
  };
}
