// The Application-log events of docs/rules.md "Events", pinned to their Exchange 2007/2010 meaning. Each
// builder fills in the text Exchange logs; 1037 has no known verbatim text, so its message is the
// documented description followed by the two thumbprints.
import type { Event1037, Event12012, Event12013, Event12015, Event12017 } from "../types.js";

const source = "MSExchangeTransport" as const;

export function event12012(
  rule: "R5" | "I2",
  reason: "directory-unreadable" | "directory-empty",
  cause?: string,
): Event12012 {
  return {
    id: 12012,
    name: "InternalTransportCertificateMissingInAD",
    source,
    level: "Error",
    rule,
    message:
      "The internal transport certificate that is used for SMTP authentication by Microsoft Exchange could not be read from Active Directory. The certificate may be missing.",
    data: cause === undefined ? { reason } : { reason, cause },
  };
}

export function event12013(
  rule: "R6" | "I3",
  thumbprint: string,
  reason: "not-in-store" | "no-private-key",
): Event12013 {
  return {
    id: 12013,
    name: "CannotLoadInternalTransportCertificateFromStore",
    source,
    level: "Error",
    rule,
    message: `Microsoft Exchange could not load the certificate with thumbprint of ${thumbprint} from the personal store on the local computer. This certificate was configured for authentication with other Exchange servers. Mail flow to other Exchange servers could be affected by this error.`,
    data: { thumbprint, reason },
  };
}

export function event12015(rule: "R7" | "I4", thumbprint: string, notAfter: Date): Event12015 {
  return {
    id: 12015,
    name: "InternalTransportCertificateExpired",
    source,
    level: "Warning",
    rule,
    message: `An internal transport certificate expired. Thumbprint:${thumbprint}`,
    data: { thumbprint, notAfter },
  };
}

export function event12017(
  rule: "R7" | "I4",
  thumbprint: string,
  notAfter: Date,
  hoursRemaining: number,
): Event12017 {
  return {
    id: 12017,
    name: "InternalTransportCertificateExpiresSoon",
    source,
    level: "Warning",
    rule,
    message: `An internal transport certificate will expire soon. Thumbprint:${thumbprint}, hours remaining: ${hoursRemaining}`,
    data: { thumbprint, notAfter, hoursRemaining },
  };
}

export function event1037(thumbprint: string, bestCandidate: string | null): Event1037 {
  return {
    id: 1037,
    name: "InternalTransportCertificateValidationProblem",
    source,
    level: "Warning",
    rule: "R15",
    message: `A problem occurred when Microsoft Exchange tried to validate an internal transport certificate (also referred to as a direct trust certificate). Thumbprint:${thumbprint}, best eligible certificate: ${bestCandidate ?? "none"}`,
    data: { thumbprint, bestCandidate },
  };
}
