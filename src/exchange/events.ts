// The Application-log events of docs/rules.md "Events", pinned to their Exchange 2007/2010 meaning. Each
// builder fills in the text Exchange logs; 1037 has no known verbatim text, so its message is the
// documented description followed by the two thumbprints.
import type {
  Event1037,
  Event12012,
  Event12013,
  Event12014,
  Event12015,
  Event12016,
  Event12017,
  Event12018,
  StartTlsNoCertificateReason,
} from "../types.js";

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

export function event12015(
  rule: "R7" | "I4",
  thumbprint: string,
  notAfter: Date,
  level: Event12015["level"] = "Warning",
): Event12015 {
  return {
    id: 12015,
    name: "InternalTransportCertificateExpired",
    source,
    level,
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
  level: Event12017["level"] = "Warning",
): Event12017 {
  return {
    id: 12017,
    name: "InternalTransportCertificateExpiresSoon",
    source,
    level,
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

/** 12014 (S3, S5, S7; S10, S11): the text as Exchange 2010 logs it, its three parameters filled in. */
export function event12014(
  rule: Event12014["rule"],
  level: Event12014["level"],
  data: Event12014["data"],
): Event12014 {
  return {
    id: 12014,
    name: "CannotLoadSTARTTLSCertificateFromStore",
    source,
    level,
    rule,
    message: `Microsoft Exchange could not find a certificate that contains the domain name ${data.domainName} in the personal store on the local computer. Therefore, it is unable to support the STARTTLS SMTP verb for the connector ${data.connector || "(unnamed)"} with a FQDN parameter of ${data.connectorFqdn}. If the connector's FQDN is not specified, the computer's FQDN is used.`,
    data,
  };
}

/** 12016 (S8): the chosen STARTTLS certificate has expired; it is still presented. */
export function event12016(domainName: string, thumbprint: string, notAfter: Date): Event12016 {
  return {
    id: 12016,
    name: "STARTTLSCertificateExpired",
    source,
    level: "Error",
    rule: "S8",
    message: `There is no valid SMTP Transport Layer Security (TLS) certificate for the FQDN of ${domainName}. The existing certificate for that FQDN has expired.`,
    data: { domainName, thumbprint, notAfter },
  };
}

/** 12018 (S9): the chosen STARTTLS certificate expires within the warning window. */
export function event12018(
  subject: string,
  thumbprint: string,
  notAfter: Date,
  hoursRemaining: number,
): Event12018 {
  return {
    id: 12018,
    name: "STARTTLSCertificateExpiresSoon",
    source,
    level: "Warning",
    rule: "S9",
    message: `The STARTTLS certificate will expire soon: subject: ${subject}, thumbprint: ${thumbprint}, hours remaining: ${hoursRemaining}.`,
    data: { subject, thumbprint, notAfter, hoursRemaining },
  };
}

/** Why a STARTTLS selection found nothing, in words for traces. */
export const NO_STARTTLS_CERTIFICATE: Readonly<Record<StartTlsNoCertificateReason, string>> = {
  "no-matching-certificate": "no certificate in the store carries the name",
  "no-eligible-certificate": "no certificate that carries the name is eligible",
  "no-usable-certificate": "no eligible certificate is valid PKI or self-signed",
  "store-unreadable": "the store could not be listed",
};
