// Why a directory read failed. The selection turns any thrown read into "cannot be read" (R4,
// reason "directory-unreadable") and keeps the error as its cause, so the code here is what tells
// an administrator *which* of the ways to fail it was. Codes are stable; match on `code`, never on
// message text. This class does not extend the core's `AnonymousTlsError`: that one's `code` is
// the core's own union, and the core must not learn about LDAP.

/** Every code an {@link LdapDirectoryError} can carry. */
export type LdapErrorCode =
  /** The constructor's or the call's `signal` was aborted. */
  | "ERR_LDAP_ABORTED"
  /**
   * No connection: refused, unreachable, unknown host, or the connection was lost at any phase
   * (including during the TLS handshake or StartTLS); `phase` says where.
   */
  | "ERR_LDAP_CONNECT"
  /** TLS was refused: an untrusted or misnamed certificate, or the server refused StartTLS. */
  | "ERR_LDAP_TLS"
  /** `connectTimeout` or `timeout` elapsed. */
  | "ERR_LDAP_TIMEOUT"
  /** The server refused the simple bind (bad credentials, or it wants TLS or signing first). */
  | "ERR_LDAP_BIND"
  /** The server object (or the base DN it is searched under) does not exist, or is not visible. */
  | "ERR_LDAP_NO_SUCH_OBJECT"
  /**
   * The bound account may not read the server object (AD returns it without any attribute, not
   * even objectClass), or the search base, or the server refused with insufficientAccessRights.
   */
  | "ERR_LDAP_ACCESS"
  /** `serverDN` names an object that is not of the server class (e.g. the Servers container). */
  | "ERR_LDAP_WRONG_OBJECT_CLASS"
  /** More than one server object matches the name, or the attribute has more than one value. */
  | "ERR_LDAP_AMBIGUOUS"
  /** The object has no `msExchServerInternalTLSCert` and `missingAttribute` is `"error"`. */
  | "ERR_LDAP_NO_ATTRIBUTE"
  /** Any other LDAP failure (a result code such as insufficientAccessRights, an odd response). */
  | "ERR_LDAP_OPERATION";

/** Where the read was when it failed. */
export type LdapPhase = "connect" | "starttls" | "bind" | "discover" | "search";

/**
 * Why an `LdapDirectory` read failed: a stable `code`, the `phase` it failed in, the LDAP result
 * code when the server sent one, and the underlying error as `cause`. A selection reports it as
 * "cannot be read" (R4) and keeps it as its `cause`.
 */
export class LdapDirectoryError extends Error {
  /** Stable identifier of the failure: match on this, never on the message. */
  readonly code: LdapErrorCode;
  /** Where the read was when it failed. */
  readonly phase: LdapPhase;
  /** The LDAP result code (RFC 4511 §4.1.9) when the server answered with one, e.g. 49. */
  readonly resultCode: number | undefined;

  /** Built by `LdapDirectory`; `cause` is ldapts' or the socket's own error. */
  constructor(
    code: LdapErrorCode,
    phase: LdapPhase,
    message: string,
    options?: { readonly cause?: unknown; readonly resultCode?: number },
  ) {
    // One line: server texts and socket errors may carry newlines, and a cause is shown inline.
    super(
      message.replace(/\s+/g, " ").trim(),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.phase = phase;
    this.resultCode = options?.resultCode;
  }
}
