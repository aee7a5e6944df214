// Step 5 (R7; I4 on the receiving side): compare the loaded certificate's Valid-to with now.
// Expired logs 12015 and is *not* a failure: the process goes on (R7). A certificate that is
// not yet valid raises nothing (A14: R7 speaks of Valid-to only). The optional early warning
// (12017) is a later Exchange event, off by default, and never raised beside 12015.

import type { ExpiryWarning } from "../../types.js";
import type { ParsedCertificate } from "../../x509/certificate.js";
import { readonlyDate } from "../../x509/readonly-date.js";
import { event12015, event12017 } from "../events.js";
import type { SelectionRun } from "../run.js";

const HOUR = 3_600_000;

export function checkExpiry(
  run: SelectionRun,
  certificate: ParsedCertificate,
  options: { readonly rule: "R7" | "I4"; readonly expiryWarning: ExpiryWarning | undefined },
): { readonly expired: boolean } {
  const { rule } = options;
  const now = run.now;
  const remaining = certificate.notAfter.getTime() - now.getTime();
  const notAfter = readonlyDate(certificate.notAfter);
  const data = { thumbprint: certificate.thumbprint, notAfter, now: readonlyDate(now) };
  // A4: inclusive, so expired only when now > notAfter.
  if (remaining < 0) {
    run.step({
      step: "expiry",
      rules: [rule],
      status: "warning",
      summary: `${certificate.thumbprint} expired on ${certificate.notAfter.toISOString()}; 12015 is logged and selection continues`,
      data: { ...data, expired: true },
    });
    run.emit(event12015(rule, certificate.thumbprint, notAfter));
    return { expired: true };
  }
  const window =
    options.expiryWarning === undefined ? undefined : options.expiryWarning.days * 24 * HOUR;
  if (window !== undefined && remaining <= window) {
    const hoursRemaining = Math.floor(remaining / HOUR);
    run.step({
      step: "expiry",
      rules: [rule],
      status: "warning",
      summary: `${certificate.thumbprint} expires in ${hoursRemaining} hours, within the ${options.expiryWarning?.days}-day warning window; 12017 is logged`,
      data: { ...data, expired: false, hoursRemaining },
    });
    run.emit(event12017(rule, certificate.thumbprint, notAfter, hoursRemaining));
    return { expired: false };
  }
  run.step({
    step: "expiry",
    rules: [rule],
    status: "passed",
    summary: `${certificate.thumbprint} is valid to ${certificate.notAfter.toISOString()}`,
    data: { ...data, expired: false },
  });
  return { expired: false };
}
