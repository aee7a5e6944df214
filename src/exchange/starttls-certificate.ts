// S2–S8, which both ends of a STARTTLS session run the same way (S10: "the sender runs S2–S8"):
// the name (S2, E3), the store search (S3), eligibility (S4, S5; E4), the ranking (S6, S7; A22)
// and the expiry check (S8, S9). Each miss logs 12014 at the edition's level (E6). What the
// miss means differs by side, so the two orchestrators decide that.
import type { StartTlsNoCertificateReason } from "../types.js";
import { event12014 } from "./events.js";
import type { SelectionCaches } from "./load-internal-certificate.js";
import type { StartTlsInput } from "./options.js";
import { chainToSend } from "./outbound-anonymous.js";
import type { SelectionRun, StartTlsChoice } from "./run.js";
import { certificateNameStep } from "./steps/certificate-name.js";
import { checkExpiry, startTlsCertificateExpiry } from "./steps/expiry.js";
import { rankEligible } from "./steps/ranking.js";
import { findStartTlsEligible } from "./steps/starttls-eligibility.js";
import { searchStore } from "./steps/store-search.js";
import type { TrustEvaluator } from "./trust.js";
import { buildVerdicts } from "./verdicts.js";
import { hasSmtpService } from "./vocabulary.js";

export interface StartTlsContext extends SelectionCaches {
  readonly trust: TrustEvaluator;
}

export type StartTlsSearch =
  | { readonly ok: true; readonly choice: StartTlsChoice }
  | { readonly ok: false; readonly reason: StartTlsNoCertificateReason; readonly cause?: unknown };

export async function findStartTlsCertificate(
  run: SelectionRun,
  input: StartTlsInput,
  context: StartTlsContext,
): Promise<StartTlsSearch> {
  const { lookedFor } = input;
  const missing = (
    rule: "S3" | "S5" | "S7",
    reason: StartTlsNoCertificateReason,
    cause?: unknown,
  ): StartTlsSearch => {
    run.emit(
      event12014(rule, input.edition.levels[12014], {
        domainName: lookedFor.name,
        connector: input.connectorName,
        connectorFqdn: input.connectorFqdn,
        reason,
      }),
    );
    return cause === undefined ? { ok: false, reason } : { ok: false, reason, cause };
  };

  // S2 (S10, E3): the name looked for.
  run.step(certificateNameStep(input));

  // S3: the certificates that carry it.
  const search = await searchStore(input, input.store, context);
  run.step(search.trace);
  if (!search.ok) return missing("S3", "store-unreadable", search.cause);
  const { snapshot } = search;
  if (search.matching.length === 0) {
    run.setCertificates(
      buildVerdicts(
        snapshot,
        input.now,
        null,
        findStartTlsEligible(search.verdicts, input.edition),
      ),
    );
    return missing("S3", "no-matching-certificate");
  }

  // S4, S5 (E4): the eligible ones.
  const eligibility = findStartTlsEligible(search.verdicts, input.edition);
  run.step(eligibility.trace);
  if (eligibility.eligible.length === 0) {
    run.setCertificates(buildVerdicts(snapshot, input.now, null, eligibility));
    return missing("S5", "no-eligible-certificate");
  }

  // S6, S7 (A3, A6, A11, A17–A22): the first valid PKI certificate, else the first self-signed.
  const ranking = await rankEligible(eligibility.eligible, input.now, context.trust, "starttls");
  run.step(ranking.trace);
  run.setCertificates(buildVerdicts(snapshot, input.now, null, eligibility, ranking));
  const best = ranking.best;
  if (best === null || ranking.basis === null) return missing("S7", "no-usable-certificate");

  // S8, S9: the chosen certificate's own dates (A22: still used when expired).
  const chosen = best.verdict.certificate;
  const { expired, notYetValid } = checkExpiry(run, chosen.certificate, {
    report: startTlsCertificateExpiry(lookedFor.name),
    expiryWarning: input.expiryWarning,
  });
  return {
    ok: true,
    choice: {
      lookedFor,
      thumbprint: chosen.certificate.thumbprint,
      entry: chosen.entry,
      chain: chainToSend(best.path ?? [chosen.certificate]),
      basis: ranking.basis,
      expired,
      notYetValid,
      smtpEnabled: hasSmtpService(chosen.entry.services),
    },
  };
}
