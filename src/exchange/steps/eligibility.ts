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
import type { TlsCertificateNameMatch } from "../tls-certificate-name.js";
import { hasSmtpService } from "../vocabulary.js";

export type EligibilityVerdict =
  | {
      readonly eligible: true;
      readonly certificate: StoreCertificate;
      readonly match: NameMatch | TlsCertificateNameMatch;
    }
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

/** R10a / S4: X.509 version 3 or later. */
export function versionExclusion(
  rule: "R10a" | "S4",
  candidate: StoreCertificate,
): Exclusion | undefined {
  const { version } = candidate.certificate;
  if (version >= 3) return undefined;
  return {
    rule,
    code: `version-${version}`,
    message: `X.509 version ${version}; version 3 is required`,
    expected: "3",
    actual: String(version),
  };
}

/** R10b / S4: a private key is associated with it (A9: one that fits, when given). */
export function privateKeyExclusion(
  rule: "R10b" | "S4",
  candidate: StoreCertificate,
): Exclusion | undefined {
  const { privateKey } = candidate;
  if (privateKey.usable) return undefined;
  return {
    rule,
    code: privateKey.reason,
    message: privateKey.detail,
    expected: "a private key",
    actual: privateKey.reason,
  };
}

/** R10d / S4: enabled for SMTP with Enable-ExchangeCertificate. */
export function smtpExclusion(
  rule: "R10d" | "S4",
  candidate: StoreCertificate,
): Exclusion | undefined {
  const { services } = candidate.entry;
  if (hasSmtpService(services)) return undefined;
  return {
    rule,
    code: "smtp-not-enabled",
    message: "the SMTP service is not enabled for it",
    expected: "SMTP",
    actual: services.join(", ") || "(none)",
  };
}

function failures(
  candidate: StoreCertificate,
  domainList: readonly HostName[],
  wildcardNames: boolean,
): { exclusions: Exclusion[]; match: NameMatch | null } {
  const exclusions: Exclusion[] = [];
  const version = versionExclusion("R10a", candidate);
  if (version !== undefined) exclusions.push(version);
  const key = privateKeyExclusion("R10b", candidate);
  if (key !== undefined) exclusions.push(key);
  // R10c (with R8's "FQDN matches"): one of its names is a domain-list entry (A2, A5, A7).
  const names = certificateNames(candidate.certificate);
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
  const smtp = smtpExclusion("R10d", candidate);
  if (smtp !== undefined) exclusions.push(smtp);
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
