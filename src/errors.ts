import type { SmtpReply } from "./exchange/smtp-reply.js";

// Exceptions are for misuse and unparseable direct input (STYLE: "Outcomes are values, misuse is
// an error"). Everything the spec describes as a normal outcome is a `Selection` value instead.
// Codes are stable; tests and callers match on `code`, never on message text.

/** Every error code this package throws. */
export type ErrorCode =
  | "ERR_INVALID_SMART_HOST_AUTH_MECHANISM"
  | "ERR_INVALID_DELIVERY_TYPE"
  | "ERR_INVALID_AUTH_MECHANISM"
  | "ERR_INVALID_ADDRESS_SPACE"
  | "ERR_INVALID_TLS_CERTIFICATE_NAME"
  | "ERR_INVALID_FQDN"
  | "ERR_INVALID_ROLE"
  | "ERR_INVALID_THUMBPRINT"
  | "ERR_INVALID_CERTIFICATE"
  | "ERR_NOT_SELECTED"
  | "ERR_NO_PRIVATE_KEY"
  | "ERR_FOLDER_STORE"
  | SmtpSessionErrorCode;

/** Why an SMTP session could not go on (see `negotiateAnonymousTls`). */
export type SmtpSessionErrorCode =
  | "ERR_SMTP_TIMEOUT"
  | "ERR_SMTP_CLOSED"
  | "ERR_SMTP_PROTOCOL"
  | "ERR_SMTP_GREETING"
  | "ERR_TLS_HANDSHAKE";

/** Base class: a stable `code`, `name` set to the subclass, and the original `cause`. */
export abstract class AnonymousTlsError extends Error {
  /** Stable identifier of the failure: match on this, never on the message. */
  abstract readonly code: ErrorCode;
  /** `cause` is kept as the standard `Error#cause`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The connector setting a {@link InvalidSettingError} is about. */
export type SettingField =
  | "sendConnector.smartHostAuthMechanism"
  | "sendConnector.addressSpaces"
  | "deliveryType"
  | "receiveConnector.authMechanism"
  | "receiveConnector.tlsCertificateName"
  | "sendConnector.tlsCertificateName"
  | "receiveConnector.fqdn"
  | "sendConnector.fqdn"
  | "server.physicalFqdn"
  | "role";

const settingCodes = {
  "sendConnector.smartHostAuthMechanism": "ERR_INVALID_SMART_HOST_AUTH_MECHANISM",
  "sendConnector.addressSpaces": "ERR_INVALID_ADDRESS_SPACE",
  deliveryType: "ERR_INVALID_DELIVERY_TYPE",
  "receiveConnector.authMechanism": "ERR_INVALID_AUTH_MECHANISM",
  "receiveConnector.tlsCertificateName": "ERR_INVALID_TLS_CERTIFICATE_NAME",
  "sendConnector.tlsCertificateName": "ERR_INVALID_TLS_CERTIFICATE_NAME",
  "receiveConnector.fqdn": "ERR_INVALID_FQDN",
  "sendConnector.fqdn": "ERR_INVALID_FQDN",
  "server.physicalFqdn": "ERR_INVALID_FQDN",
  role: "ERR_INVALID_ROLE",
} as const satisfies Record<SettingField, ErrorCode>;

/**
 * A connector or queue setting that Exchange itself would not accept (an unknown
 * `SmartHostAuthMechanism`, `DeliveryType`, `AuthMechanism` name, a malformed address space,
 * TlsCertificateName or connector Fqdn), or that the chosen edition does not have (a role or a
 * TlsCertificateName of the other edition, E1, E3).
 * The code names the field; `value` is what was given.
 */
export class InvalidSettingError extends AnonymousTlsError {
  /** One code per field, e.g. `ERR_INVALID_DELIVERY_TYPE`. */
  readonly code: (typeof settingCodes)[SettingField];
  /** What exactly is wrong, when the value has a syntax (e.g. where a TlsCertificateName breaks). */
  readonly detail: string | undefined;
  /** Built by the selection functions when they check the connector settings. */
  constructor(
    /** The option that holds the setting. */
    readonly field: SettingField,
    /** The value given. */
    readonly value: unknown,
    /** The names Exchange accepts there (for an address space: the accepted form). */
    readonly allowed: readonly string[],
    /** What exactly is wrong, when the value has a syntax (a TlsCertificateName, E3). */
    options: { detail?: string } = {},
  ) {
    super(
      `${field}: ${JSON.stringify(value)} is not one of ${allowed.join(", ")}` +
        (options.detail === undefined ? "" : ` (${options.detail})`),
    );
    this.code = settingCodes[field];
    this.detail = options.detail;
  }
}

/** A string that is not a thumbprint: 40 hexadecimal digits once separators are removed. */
export class InvalidThumbprintError extends AnonymousTlsError {
  /** Always `ERR_INVALID_THUMBPRINT`. */
  readonly code = "ERR_INVALID_THUMBPRINT" as const;
  /** Built by `parseThumbprint`. */
  constructor(
    message: string,
    /** The text given. */
    readonly value: string,
  ) {
    super(message);
  }
}

/**
 * Why a certificate could not be parsed; stable, one per check. Since A18 (readable is not
 * valid) the parser no longer refuses bytes after the certificate, an outer signature algorithm
 * that differs from the signed one, a duplicate extension, extensions in a v1/v2 certificate or
 * a subjectAltName it cannot decode: it reads them and records an encoding fault.
 * "der-trailing-data", "signature-algorithm-mismatch", "duplicate-extension" and
 * "bad-extension" stay in the union so that code matching on them keeps compiling, but are no
 * longer produced.
 */
export type CertificateParseFailure =
  | "empty"
  | "pem-no-certificate"
  | "pem-multiple-certificates"
  | "pem-bad-base64"
  | "der-malformed"
  | "der-trailing-data"
  | "asn1-schema"
  | "unsupported-version"
  | "bad-name"
  | "bad-validity"
  | "bad-extension"
  | "duplicate-extension"
  | "signature-algorithm-mismatch";

/** A certificate (DER or PEM) that does not parse. `reason` says which check failed. */
export class InvalidCertificateError extends AnonymousTlsError {
  /** Always `ERR_INVALID_CERTIFICATE`. */
  readonly code = "ERR_INVALID_CERTIFICATE" as const;
  /** Built by the certificate parser; `cause` is the decoder's own error, when there is one. */
  constructor(
    /** Which check failed. */
    readonly reason: CertificateParseFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `toTlsOptions` was given a selection that did not select a certificate. */
export class NotSelectedError extends AnonymousTlsError {
  /** Always `ERR_NOT_SELECTED`. */
  readonly code = "ERR_NOT_SELECTED" as const;
}

/** `toTlsOptions` was given a selection whose store entry carries no private key material. */
export class NoPrivateKeyError extends AnonymousTlsError {
  /** Always `ERR_NO_PRIVATE_KEY`. */
  readonly code = "ERR_NO_PRIVATE_KEY" as const;
}

/** An SMTP session that cannot go on: timeout, close, protocol error, refused greeting, TLS failure. */
export class SmtpSessionError extends AnonymousTlsError {
  /** The reply that ended the session (ERR_SMTP_GREETING), when there was one. */
  declare readonly reply?: SmtpReply;
  /** Built by the SMTP helpers; the socket is destroyed before it is thrown. */
  constructor(
    /** Why the session ended: timeout, close, protocol, greeting or TLS handshake. */
    readonly code: SmtpSessionErrorCode,
    message: string,
    options: { cause?: unknown; reply?: SmtpReply } = {},
  ) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    if (options.reply !== undefined) this.reply = options.reply;
  }
}
