// The expiry step: the certificate loaded or chosen has its Valid-to compared with now.
// - Anonymous TLS (R7; I4 on the receiving side): expired logs 12015 and is *not* a failure, the
//   process goes on (R7). A certificate that is not yet valid raises nothing (A14: R7 speaks of
//   Valid-to only). The optional early warning (12017) is a later Exchange event, off by
//   default, and never raised beside 12015. E6: both are Information in the 2016 edition.
// - STARTTLS (S8, S9): expired logs 12016 and the certificate is still presented; the opt-in
//   warning is 12018, never beside 12016. A chosen certificate that is not yet valid (A22 leaves
//   its own dates to this step) raises no documented event, but the step says so as a warning
//   and the result carries `notYetValid`: a TLS peer will refuse it.

import type { ExchangeEvent, ExpiryWarning, RuleId } from "../../types.js";
import type { ParsedCertificate } from "../../x509/certificate.js";
import { readonlyDate } from "../../x509/readonly-date.js";
import type { EditionRules } from "../editions.js";
import { event12015, event12016, event12017, event12018 } from "../events.js";
import type { SelectionRun } from "../run.js";
import { windowsName } from "../tls-certificate-name.js";

const HOUR = 3_600_000;

/** Which events the step raises, and under which rules: the one thing the processes vary. */
export interface ExpiryReport {
  readonly expiredRule: RuleId;
  readonly soonRule: RuleId;
  readonly expiredEvent: string;
  readonly soonEvent: string;
  /** Whether a certificate that is not yet valid is reported (STARTTLS) or not (R7: A14). */
  readonly reportsNotYetValid: boolean;
  expired(certificate: ParsedCertificate, notAfter: Date): ExchangeEvent;
  soon(certificate: ParsedCertificate, notAfter: Date, hoursRemaining: number): ExchangeEvent;
}

/** R7/I4: 12015 and 12017 about the internal transport certificate, at the edition's levels. */
export function internalCertificateExpiry(rule: "R7" | "I4", edition: EditionRules): ExpiryReport {
  return {
    expiredRule: rule,
    soonRule: rule,
    expiredEvent: "12015",
    soonEvent: "12017",
    reportsNotYetValid: false,
    expired: (c, notAfter) => event12015(rule, c.thumbprint, notAfter, edition.levels[12015]),
    soon: (c, notAfter, hours) =>
      event12017(rule, c.thumbprint, notAfter, hours, edition.levels[12017]),
  };
}

/** S8/S9: 12016 and 12018 about the chosen STARTTLS certificate. */
export function startTlsCertificateExpiry(domainName: string): ExpiryReport {
  return {
    expiredRule: "S8",
    soonRule: "S9",
    expiredEvent: "12016",
    soonEvent: "12018",
    reportsNotYetValid: true,
    expired: (c, notAfter) => event12016(domainName, c.thumbprint, notAfter),
    // 12018's subject as Windows prints it (X509Certificate2.Subject).
    soon: (c, notAfter, hours) => event12018(windowsName(c.subject), c.thumbprint, notAfter, hours),
  };
}

export function checkExpiry(
  run: SelectionRun,
  certificate: ParsedCertificate,
  options: { readonly report: ExpiryReport; readonly expiryWarning: ExpiryWarning | undefined },
): { readonly expired: boolean; readonly notYetValid: boolean } {
  const { report } = options;
  const now = run.now;
  const remaining = certificate.notAfter.getTime() - now.getTime();
  const notAfter = readonlyDate(certificate.notAfter);
  const data = { thumbprint: certificate.thumbprint, notAfter, now: readonlyDate(now) };
  // A4: inclusive, so expired only when now > notAfter.
  if (remaining < 0) {
    run.step({
      step: "expiry",
      rules: [report.expiredRule],
      status: "warning",
      summary: `${certificate.thumbprint} expired on ${certificate.notAfter.toISOString()}; ${report.expiredEvent} is logged and it is still used`,
      data: { ...data, expired: true },
    });
    run.emit(report.expired(certificate, notAfter));
    return { expired: true, notYetValid: false };
  }
  if (report.reportsNotYetValid && now.getTime() < certificate.notBefore.getTime()) {
    run.step({
      step: "expiry",
      rules: [report.expiredRule],
      status: "warning",
      summary: `${certificate.thumbprint} is not valid before ${certificate.notBefore.toISOString()}; it is still used (A22: no event is documented for this), and TLS peers will refuse it`,
      data: { ...data, expired: false, notYetValid: true },
    });
    return { expired: false, notYetValid: true };
  }
  const window =
    options.expiryWarning === undefined ? undefined : options.expiryWarning.days * 24 * HOUR;
  if (window !== undefined && remaining <= window) {
    const hoursRemaining = Math.floor(remaining / HOUR);
    run.step({
      step: "expiry",
      rules: [report.soonRule],
      status: "warning",
      summary: `${certificate.thumbprint} expires in ${hoursRemaining} hours, within the ${options.expiryWarning?.days}-day warning window; ${report.soonEvent} is logged`,
      data: { ...data, expired: false, hoursRemaining },
    });
    run.emit(report.soon(certificate, notAfter, hoursRemaining));
    return { expired: false, notYetValid: false };
  }
  run.step({
    step: "expiry",
    rules: [report.expiredRule],
    status: "passed",
    summary: `${certificate.thumbprint} is valid to ${certificate.notAfter.toISOString()}`,
    data: { ...data, expired: false },
  });
  return { expired: false, notYetValid: false };
}
