// Public types: inputs (injected Directory and CertStore, connector settings) and outputs (the
// Selection union, events, trace, per-certificate verdicts). Vocabulary follows docs/rules.md.
import type { TlsCertificateNameMatch } from "./exchange/tls-certificate-name.js";
import type { NameMatch } from "./x509/dns-name.js";
import type { CertificateRevocationStatus, ValidationProfile } from "./x509/path/validator.js";
import type { IgnoredCrl, RevocationMode } from "./x509/revocation/checker.js";
import type { CertificateRevocationListInput } from "./x509/revocation/crl.js";

/** A certificate as DER bytes or PEM text. */
export type CertificateInput = Uint8Array | string;

/** One certificate in the local computer's store, as `Get-ExchangeCertificate` would show it. */
export interface StoreEntry {
  /** The certificate, DER bytes or PEM text. */
  readonly certificate: CertificateInput;
  /** Whether the store associates a private key with the certificate (R10b, A9). */
  readonly hasPrivateKey: boolean;
  /** Services enabled with `Enable-ExchangeCertificate` (R10d needs SMTP). */
  readonly services: readonly string[];
  /** The private key in PEM, when the caller has it (needed to use the certificate on a socket). */
  readonly privateKey?: string;
}

/** The local computer's certificate store. `list()` is called once per selection (snapshot). */
export interface CertStore {
  /**
   * The store's certificates. Called once per selection; the entries are copied before any step
   * reads them.
   */
  list(): readonly StoreEntry[] | Promise<readonly StoreEntry[]>;
}

/** What a `Directory` may return for `msExchServerInternalTLSCert` (docs/rules.md, "Values"). */
export type DirectoryValue = string | Uint8Array | null;

/**
 * The directory (Active Directory, or AD LDS on an Edge server). A read that throws or rejects
 * is "cannot be read" (R4); `null` is a null value.
 */
export interface Directory {
  /**
   * The value of `msExchServerInternalTLSCert` (R3): a thumbprint, the DER certificate or a
   * serialized-certificate blob, or null when unset. Throwing or rejecting means "cannot be read"
   * (R4).
   */
  readInternalTransportCertificate(options?: {
    readonly signal?: AbortSignal;
  }): Promise<DirectoryValue>;
}

/**
 * The transport role of the server that runs the outbound anonymous selection: HubTransport or
 * EdgeTransport in the 2007 edition (R1, R2), Mailbox or EdgeTransport in the 2016 edition (E1).
 */
export type Role = "HubTransport" | "EdgeTransport" | "Mailbox";

/**
 * Which Exchange's documented process runs: "2007" (Exchange 2007/2010, the default) or "2016"
 * (Exchange 2016, 2019 and Subscription Edition, E1–E6).
 */
export type Edition = "2007" | "2016";

/** An Application-log level. */
export type EventLevel = "Error" | "Warning" | "Information";

/** When the lookup runs: at transport service start-up (R5 logs 12012) or in an SMTP session. */
export type Phase = "session" | "startup";

/**
 * A connector's settings that name its STARTTLS certificate (S2, S10, E3), and its identity.
 */
export interface ConnectorCertificateSettings {
  /**
   * The connector's `Fqdn` (S2, S10): the name the STARTTLS certificate must carry. Null or
   * absent: the server's physical FQDN.
   */
  readonly fqdn?: string | null;
  /**
   * The connector's `TlsCertificateName`, `<I>issuer<S>subject` as PowerShell prints it (E3;
   * 2016 edition only: in 2007 any value is misuse). Null or absent: not set.
   */
  readonly tlsCertificateName?: string | null;
  /** The connector's identity, e.g. `EX01\\Default Frontend EX01`, for event texts (12014's %2). */
  readonly name?: string;
}

/**
 * The settings of the Send connector the session is bound to that the gate reads (R1a, R2a, R2b).
 * Its certificate settings are read by the outbound STARTTLS selection only.
 */
export interface SendConnector extends ConnectorCertificateSettings {
  /** Exactly one of None, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative. */
  readonly smartHostAuthMechanism: string;
  /** Address spaces, `TYPE:ADDRESS;COST` or a bare address (SMTP, cost 1). */
  readonly addressSpaces: readonly string[];
}

/**
 * The settings of the Receive connector the session arrived on: AuthMechanism for the gates (I1,
 * S1); the certificate settings for inbound STARTTLS (S2, E3).
 */
export interface ReceiveConnector extends ConnectorCertificateSettings {
  /** A flags set: "Tls, Integrated, ExchangeServer" or ["Tls", "ExchangeServer"] (I1, S1). */
  readonly authMechanism: string | readonly string[];
}

/** The computer's names that build the domain list (R8, R9). */
export interface ServerNames {
  /** The server's FQDN (R8's first entry), e.g. `mail.contoso.com`. */
  readonly fqdn: string;
  /** The server's host name, e.g. `EDGE01`. */
  readonly hostName: string;
  /** The computer's own FQDN, e.g. `edge01.contoso.com`. */
  readonly physicalFqdn: string;
  /** The computer's own host name. */
  readonly physicalHostName: string;
  /** The NLB/cluster name; when present it replaces the FQDN entry (R9, A10). */
  readonly clusterName?: string;
}

/** Warn (event 12017) when the directory's certificate expires within this many days. */
export interface ExpiryWarning {
  /** The window, in days before notAfter (a positive number). */
  readonly days: number;
}

/** Options every selection takes. */
export interface SelectionSettings {
  /** The local computer's certificate store (R6, R10, S3). */
  readonly store: CertStore;
  /**
   * Which Exchange's process runs (E1–E6): "2007" (default) or "2016" (Exchange 2016, 2019 and
   * Subscription Edition).
   */
  readonly edition?: Edition;
  /** R5: 12012 is logged only at start-up. Default "session". */
  readonly phase?: Phase;
  /** A4: the evaluation time. Default: the wall clock, read once. */
  readonly now?: Date;
  /**
   * Called with each event (frozen), in the order of `events`. What it throws (or an async
   * handler's promise rejects with) is dropped: the later events are still delivered and the
   * selection is unchanged. The selection does not wait for an async handler.
   */
  readonly onEvent?: (event: ExchangeEvent) => void;
  /** Aborting makes a pending directory read or store listing count as "cannot be read". */
  readonly signal?: AbortSignal;
  /**
   * Off by default (Exchange 2007 had no such warning): 12017 for the internal transport
   * certificate, 12018 for a STARTTLS certificate (S9).
   */
  readonly expiryWarning?: ExpiryWarning;
  /**
   * A3: the path-validation profile that makes a chain valid PKI: "rfc5280" (default) or
   * "strict" (also RFC 5280's encoding rules for CAs, like OpenSSL's -x509_strict).
   */
  readonly profile?: ValidationProfile;
  /**
   * A21: CRLs the caller has (DER bytes, or PEM text with one or more `X509 CRL` blocks); nothing
   * is fetched. A CA-issued certificate listed on a usable CRL (or whose CA is) is not valid PKI
   * (R12 skips it). A CRL that cannot be read is ignored and reported in the verdicts
   * (`ignoredCrls`), never thrown.
   */
  readonly crls?: readonly CertificateRevocationListInput[];
  /**
   * A21: "soft" (default) keeps a chain valid PKI when no usable CRL decides a certificate;
   * "hard" makes it "revocation-unknown" (Exchange's RevocationCheckFailure). Given without
   * `crls`, every CA-issued certificate is checked against no CRLs.
   */
  readonly revocationMode?: RevocationMode;
}

/** Options both anonymous-TLS directions share. */
export interface CommonSelectionOptions extends SelectionSettings {
  /** Where `msExchServerInternalTLSCert` is read (R3). */
  readonly directory: Directory;
}

/**
 * Which certificate is used when the best candidate is not the directory's (A1): the directory's by
 * default, or the best candidate on request.
 */
export type ThumbprintMismatchPolicy = "keep-directory-certificate" | "use-best-candidate";

export interface OutboundSelectionOptions extends CommonSelectionOptions {
  /** The server's role: decides which gate applies (R1 or R2). */
  readonly role: Role;
  /** The Send connector the session is bound to (R1a, R2a, R2b). */
  readonly sendConnector: SendConnector;
  /** The message's DeliveryType (R1b). Required for R1 to pass on a Hub. */
  readonly deliveryType?: string;
  /** The names that build the domain list (R8, R9). */
  readonly server: ServerNames;
  /** Roots that make a chain "valid PKI" (A3). Without them no certificate is valid PKI. */
  readonly trustAnchors?: readonly CertificateInput[];
  /** Extra CA certificates for path building. */
  readonly intermediates?: readonly CertificateInput[];
  /** A5: allow a wildcard in the left-most label. Default false. */
  readonly wildcardNames?: boolean;
  /** A1: which certificate is used after a 1037 mismatch. Default "keep-directory-certificate". */
  readonly onThumbprintMismatch?: ThumbprintMismatchPolicy;
}

export interface InboundSelectionOptions extends CommonSelectionOptions {
  /** The Receive connector the session arrived on (I1). */
  readonly receiveConnector: ReceiveConnector;
  /** Only used to send the validated chain (intermediates) with the certificate. */
  readonly trustAnchors?: readonly CertificateInput[];
  /** Extra CA certificates for building that chain. */
  readonly intermediates?: readonly CertificateInput[];
}

/** Options both STARTTLS directions share (S2–S9). */
export interface StartTlsSelectionSettings extends SelectionSettings {
  /**
   * The server's names: `physicalFqdn` is looked for when the connector has no Fqdn (S2). The
   * other fields of {@link ServerNames} may be given (one object for every selection) and are
   * not read.
   */
  readonly server: Pick<ServerNames, "physicalFqdn"> & Partial<ServerNames>;
  /** Roots that make a chain "valid PKI" (S6, A3). Without them no certificate is valid PKI. */
  readonly trustAnchors?: readonly CertificateInput[];
  /** Extra CA certificates for path building. */
  readonly intermediates?: readonly CertificateInput[];
  /** A5: allow a wildcard in the left-most label. Default false. */
  readonly wildcardNames?: boolean;
}

/** Options of `selectInboundStartTlsCert` (S1–S9, E3, E4). */
export interface InboundStartTlsSelectionOptions extends StartTlsSelectionSettings {
  /** The Receive connector the session arrived on: its AuthMechanism (S1), Fqdn (S2), E3 name. */
  readonly receiveConnector: ReceiveConnector;
}

/** Options of `selectOutboundStartTlsCert` (S10, S11). */
export interface OutboundStartTlsSelectionOptions extends StartTlsSelectionSettings {
  /** The Send connector the session is bound to: its Fqdn (S10) and TlsCertificateName (S11). */
  readonly sendConnector: ConnectorCertificateSettings;
}

// ---------------------------------------------------------------------------------------------
// Events

/** Rule ids as docs/rules.md numbers them. */
export type RuleId =
  | "R1"
  | "R1a"
  | "R1b"
  | "R2"
  | "R2a"
  | "R2b"
  | "R3"
  | "R4"
  | "R5"
  | "R6"
  | "R7"
  | "R8"
  | "R9"
  | "R10"
  | "R10a"
  | "R10b"
  | "R10c"
  | "R10d"
  | "R11"
  | "R12"
  | "R13"
  | "R14"
  | "R15"
  | "I1"
  | "I2"
  | "I3"
  | "I4"
  | "S1"
  | "S2"
  | "S3"
  | "S4"
  | "S5"
  | "S6"
  | "S7"
  | "S8"
  | "S9"
  | "S10"
  | "S11"
  | "E1"
  | "E2"
  | "E3"
  | "E4"
  | "E5"
  | "E6";

interface EventBase {
  /** The Application-log source of every event here. */
  readonly source: "MSExchangeTransport";
  /** The text Exchange logs, with its parameters filled in. */
  readonly message: string;
}

/**
 * 12012: the directory attribute could not be read or was empty at transport start-up (R5, I2); no
 * X-ANONYMOUSTLS.
 */
export interface Event12012 extends EventBase {
  /** The event id. */
  readonly id: 12012;
  /** Exchange's symbolic name for the event. */
  readonly name: "InternalTransportCertificateMissingInAD";
  /** The level Exchange logs it at. */
  readonly level: "Error";
  /** The rule that raised it: R5 outbound, I2 inbound. */
  readonly rule: "R5" | "I2";
  /** The event's parameters. */
  readonly data: {
    /** Unreadable (R4) or empty (A15). */
    readonly reason: "directory-unreadable" | "directory-empty";
    /** A description of what the directory threw, when it threw. */
    readonly cause?: string;
  };
}

/**
 * 12013: the directory's certificate is not in the store, or not with its private key (R6, A9, A16,
 * I3); no X-ANONYMOUSTLS.
 */
export interface Event12013 extends EventBase {
  /** The event id. */
  readonly id: 12013;
  /** Exchange's symbolic name for the event. */
  readonly name: "CannotLoadInternalTransportCertificateFromStore";
  /** The level Exchange logs it at. */
  readonly level: "Error";
  /** The rule that raised it: R6 outbound, I3 inbound. */
  readonly rule: "R6" | "I3";
  /** The event's parameters. */
  readonly data: {
    /** The directory's thumbprint (Exchange's %1). */
    readonly thumbprint: string;
    /** Absent from the store, or present without its private key (A9). */
    readonly reason: "not-in-store" | "no-private-key";
  };
}

/** 12015: the directory's certificate has expired (R7, I4); selection goes on with it. */
export interface Event12015 extends EventBase {
  /** The event id. */
  readonly id: 12015;
  /** Exchange's symbolic name for the event. */
  readonly name: "InternalTransportCertificateExpired";
  /** The level Exchange logs it at: Warning (2007), Information (2016, E6). */
  readonly level: "Warning" | "Information";
  /** The rule that raised it: R7 outbound, I4 inbound. */
  readonly rule: "R7" | "I4";
  /** The event's parameters: the certificate's thumbprint and its notAfter. */
  readonly data: { readonly thumbprint: string; readonly notAfter: Date };
}

/**
 * 12017: the directory's certificate expires within the `expiryWarning` window; only on request,
 * never beside 12015.
 */
export interface Event12017 extends EventBase {
  /** The event id. */
  readonly id: 12017;
  /** Exchange's symbolic name for the event (later versions log it). */
  readonly name: "InternalTransportCertificateExpiresSoon";
  /** The level Exchange logs it at: Warning (2007), Information (2016, E6). */
  readonly level: "Warning" | "Information";
  /** The expiry step that raised it: R7 outbound, I4 inbound. */
  readonly rule: "R7" | "I4";
  /** The event's parameters. */
  readonly data: {
    /** The directory's certificate. */
    readonly thumbprint: string;
    /** When it expires. */
    readonly notAfter: Date;
    /** Whole hours from the evaluation time to notAfter (Exchange's %2). */
    readonly hoursRemaining: number;
  };
}

/**
 * 1037: the best candidate is not the directory's certificate, or there is none (R15, A8);
 * X-ANONYMOUSTLS still works. The name and message text are ours: Exchange documents none.
 */
export interface Event1037 extends EventBase {
  /** The event id. */
  readonly id: 1037;
  /** Our name for the event: Exchange documents none. */
  readonly name: "InternalTransportCertificateValidationProblem";
  /** The level Exchange logs it at. */
  readonly level: "Warning";
  /** The rule that raised it. */
  readonly rule: "R15";
  /** The event's parameters. */
  readonly data: {
    /** The directory's certificate. */
    readonly thumbprint: string;
    /** The best-ranked eligible certificate, or null when none is eligible (A8). */
    readonly bestCandidate: string | null;
  };
}

/**
 * 12014: no STARTTLS certificate carries the name looked for, none of those that do is eligible,
 * or none is usable (S3, S5, S7; S10, S11 on the sending side). The receiver does not advertise
 * STARTTLS; the sender negotiates it without a client certificate (or, S11, fails the session).
 */
export interface Event12014 extends EventBase {
  /** The event id. */
  readonly id: 12014;
  /** Exchange's symbolic name for the event. */
  readonly name: "CannotLoadSTARTTLSCertificateFromStore";
  /** Warning (Exchange 2007's own page), Error (2016, E6). */
  readonly level: "Warning" | "Error";
  /** The step that found nothing: S3, S5 or S7 (either side). */
  readonly rule: "S3" | "S5" | "S7";
  /** The event's parameters. */
  readonly data: {
    /** %1: the name looked for (a host name, or the `<I>…<S>…` text, E3). */
    readonly domainName: string;
    /** %2: the connector's identity as given (`name`), or "" when none was given. */
    readonly connector: string;
    /** %3: the connector's Fqdn; the physical FQDN when the connector has none. */
    readonly connectorFqdn: string;
    /** Why nothing was found. */
    readonly reason: StartTlsNoCertificateReason;
  };
}

/** 12016: the chosen STARTTLS certificate has expired (S8); it is still used. */
export interface Event12016 extends EventBase {
  /** The event id. */
  readonly id: 12016;
  /** Exchange's symbolic name for the event. */
  readonly name: "STARTTLSCertificateExpired";
  /** The level Exchange logs it at. */
  readonly level: "Error";
  /** The rule that raised it. */
  readonly rule: "S8";
  /** The event's parameters. */
  readonly data: {
    /** %1: the name looked for. */
    readonly domainName: string;
    /** The chosen certificate. */
    readonly thumbprint: string;
    /** When it expired. */
    readonly notAfter: Date;
  };
}

/** 12018: the chosen STARTTLS certificate expires within `expiryWarning` (S9); never beside 12016. */
export interface Event12018 extends EventBase {
  /** The event id. */
  readonly id: 12018;
  /** Exchange's symbolic name for the event. */
  readonly name: "STARTTLSCertificateExpiresSoon";
  /** The level Exchange logs it at. */
  readonly level: "Warning";
  /** The rule that raised it. */
  readonly rule: "S9";
  /** The event's parameters. */
  readonly data: {
    /** %1: the certificate's subject. */
    readonly subject: string;
    /** %2: its thumbprint. */
    readonly thumbprint: string;
    /** When it expires. */
    readonly notAfter: Date;
    /** %3: whole hours from the evaluation time to notAfter. */
    readonly hoursRemaining: number;
  };
}

/** Every event a selection can log, discriminated by `id`. */
export type ExchangeEvent =
  | Event12012
  | Event12013
  | Event12015
  | Event12017
  | Event1037
  | Event12014
  | Event12016
  | Event12018;
/** The id of an {@link ExchangeEvent}. */
export type EventId = ExchangeEvent["id"];

// ---------------------------------------------------------------------------------------------
// Per-certificate verdicts

/** Why a store certificate is not eligible, or could not be read. */
export interface Exclusion {
  /**
   * The rule that excluded it: R10a–R10d, S3 (does not carry the name looked for), S4 (not
   * eligible for STARTTLS), or "parse" for an entry that is not a certificate.
   */
  readonly rule: "parse" | "R10a" | "R10b" | "R10c" | "R10d" | "S3" | "S4";
  /** Stable code, e.g. "der-malformed", "version-1", "no-private-key", "no-matching-name", "smtp-not-enabled". */
  readonly code: string;
  /** A sentence for people; not stable, do not match on it. */
  readonly message: string;
  /** What was required, and what the certificate had. */
  readonly expected?: string;
  /** What the certificate had, when `expected` is given. */
  readonly actual?: string;
  /**
   * E3 (code `tls-certificate-name-mismatch`): which of its issuer and subject are not the
   * TlsCertificateName's, compared as distinguished names.
   */
  readonly differs?: readonly ("issuer" | "subject")[];
}

/** Why a certificate is or is not "valid PKI" (A3) or self-signed (A6). */
export type TrustVerdict =
  | {
      /** Valid PKI (A3): `path` holds the thumbprints from the certificate to the trust anchor. */
      readonly kind: "pki";
      readonly path: readonly string[];
      /**
       * A21, when `crls` or `revocationMode` was given: each certificate's status, leaf first,
       * the trust anchor not included ("unknown" ones only in soft mode).
       */
      readonly revocation?: readonly CertificateRevocationStatus[];
      /** A21: supplied CRLs that could not be read (only when there are some). */
      readonly ignoredCrls?: readonly IgnoredCrl[];
    }
  /** Self-signed (A6). */
  | { readonly kind: "self-signed" }
  | {
      /** Neither: skipped by R12 and R13. */
      readonly kind: "untrusted";
      /** The path validator's failure code, e.g. "no-trust-anchors", "expired" or "revoked". */
      readonly code: string;
      /** A sentence for people; not stable. */
      readonly message: string;
      /**
       * A21, code "revoked" or "revocation-unknown": every status of the rejected path, leaf
       * first, the trust anchor not included.
       */
      readonly revocation?: readonly CertificateRevocationStatus[];
      /** A21: supplied CRLs that could not be read (only when there are some). */
      readonly ignoredCrls?: readonly IgnoredCrl[];
    };

/** A certificate's dates against the evaluation time (A4: both ends inclusive). */
export type TimeStatus = "valid" | "expired" | "not-yet-valid";

/** Facts about one store entry, as far as the steps that ran needed them. */
export interface CertificateFacts {
  /** Position in the store's list (0-based). */
  readonly index: number;
  /** 40 upper-case hex digits; null when the entry is not a certificate. */
  readonly thumbprint: string | null;
  /** The subject name, as text (RFC 4514 order). */
  readonly subject: string | null;
  /** The issuer name, as text. */
  readonly issuer: string | null;
  /** CN and SAN DNS names, as written. */
  readonly names: readonly string[];
  /** The X.509 version, 1 to 3 (R10a). */
  readonly version: number | null;
  /** *Valid from*: the ranking's key (R11). */
  readonly notBefore: Date | null;
  /** *Valid to* (R7). */
  readonly notAfter: Date | null;
  /** A4/A14: where `now` falls in the validity period. */
  readonly time: TimeStatus | null;
  /** As the store entry says; R10b also checks a given key fits. */
  readonly hasPrivateKey: boolean;
  /** The services enabled on it, as given (R10d). */
  readonly services: readonly string[];
  /** This is the certificate the directory names. */
  readonly isDirectoryCertificate: boolean;
}

/**
 * What the selection concluded about one store entry: its facts, then `unreadable`, `not-evaluated`
 * (the process stopped before eligibility), `excluded` with the rule, or `eligible` with rank, name
 * match and trust.
 */
export type CertificateVerdict = CertificateFacts &
  (
    | { readonly status: "unreadable"; readonly exclusion: Exclusion }
    | { readonly status: "not-evaluated" }
    | { readonly status: "excluded"; readonly exclusion: Exclusion }
    | {
        /** Eligible (R10, S4): ranked, with its name match and trust. */
        readonly status: "eligible";
        /**
         * Which of its names matched which domain-list entry (A7), or, for a STARTTLS name
         * given as a TlsCertificateName, that its issuer and subject matched (E3).
         */
        readonly match: NameMatch | TlsCertificateNameMatch;
        /** 1-based position in the R11 order. */
        readonly rank: number;
        /** null when the ranking stopped before it needed this certificate's trust (R12). */
        readonly trust: TrustVerdict | null;
        /** This is the best candidate (R12/R13). */
        readonly best: boolean;
      }
  );

// ---------------------------------------------------------------------------------------------
// Trace

/** The steps of the trace, in the order they can run. */
export type StepName =
  | "role-gate"
  | "receive-connector-gate"
  | "certificate-name"
  | "store-search"
  | "session-fails"
  | "directory-lookup"
  | "store-lookup"
  | "expiry"
  | "domain-list"
  | "eligibility"
  | "ranking"
  | "thumbprint-match";

/** One step of the process as it ran: which rules, whether it let the process go on, and why. */
export interface TraceStep {
  /** Which step. */
  readonly step: StepName;
  /** The rules it applied. */
  readonly rules: readonly RuleId[];
  /** passed: go on; failed: the process stops here; warning: an event, but go on. */
  readonly status: "passed" | "failed" | "warning";
  /** A sentence for people; not stable. */
  readonly summary: string;
  /** Step-specific facts (JSON-friendly: strings, numbers, booleans, arrays, dates). */
  readonly data: Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// The result

/**
 * A gate condition that did not hold: R1a/R1b on a Hub, R2a/R2b on an Edge, R1b on a 2016
 * Mailbox server (E1: its only condition is the DeliveryType), I1 inbound.
 */
export type GateCondition = "R1a" | "R1b" | "R2a" | "R2b" | "I1";

/**
 * Why no certificate was loaded: the attribute could not be read (R4) or was empty (A15), or the
 * store lacks the certificate (R6) or its private key (A9).
 */
export type NoCertificateReason =
  | "directory-unreadable"
  | "directory-empty"
  | "not-in-store"
  | "no-private-key";

interface SelectionBase {
  /** Which selection ran: anonymous TLS (R, I) or STARTTLS (S). */
  readonly process: "anonymous-tls" | "starttls";
  /** Which side ran: the sending server (outbound) or the receiving one (inbound). */
  readonly direction: "outbound" | "inbound";
  /** The edition whose process ran (E1–E6). */
  readonly edition: Edition;
  /** The `now` the whole decision used (A4). */
  readonly evaluatedAt: Date;
  /** The events logged, in order (also passed to `onEvent`). */
  readonly events: readonly ExchangeEvent[];
  /** One entry per step that ran, in order. */
  readonly trace: readonly TraceStep[];
  /** Every store certificate, in store order; empty when the store was not read. */
  readonly certificates: readonly CertificateVerdict[];
}

/**
 * The gate failed (R1, R2 or I1): anonymous TLS is not used and no certificate is loaded. `failed`
 * lists every condition that did not hold.
 */
export interface NotAttempted extends AnonymousTlsBase {
  /** The discriminant. */
  readonly outcome: "not-attempted";
  /** X-ANONYMOUSTLS is not used. */
  readonly advertiseAnonymousTls: false;
  /** Every gate condition that did not hold. */
  readonly failed: readonly GateCondition[];
}

/**
 * The gate passed but no certificate could be loaded (R4, R6, A9, A16): X-ANONYMOUSTLS is not used.
 */
export interface NoCertificate extends AnonymousTlsBase {
  /** The discriminant. */
  readonly outcome: "no-certificate";
  /** X-ANONYMOUSTLS is not used. */
  readonly advertiseAnonymousTls: false;
  /** Why no certificate was loaded. */
  readonly reason: NoCertificateReason;
  /** The directory's thumbprint, when it was read (not-in-store, no-private-key). */
  readonly directoryThumbprint: string | null;
  /** What went wrong underneath (a thrown error, a value that is not a thumbprint), if anything. */
  readonly cause?: unknown;
}

/** A certificate is used for X-ANONYMOUSTLS (with 1037 when the best candidate differs, A1). */
export interface Selected extends AnonymousTlsBase {
  /** The discriminant. */
  readonly outcome: "selected";
  /** X-ANONYMOUSTLS is used. */
  readonly advertiseAnonymousTls: true;
  /** The certificate used for X-AnonymousTLS: 40 upper-case hex digits. */
  readonly thumbprint: string;
  /**
   * The store entry of the certificate used (a frozen copy), with its private key when given.
   * Its DER bytes are this result's own: writing into them changes nothing else.
   */
  readonly entry: StoreEntry;
  /** The directory's thumbprint (R3). */
  readonly directoryThumbprint: string;
  /**
   * The best-ranked eligible certificate (R11–R13), or null when none is eligible (A8), inbound,
   * or in the 2016 edition (E2: no ranking).
   */
  readonly bestCandidate: string | null;
  /** R14. Always true inbound and in the 2016 edition (neither has a ranking step). */
  readonly thumbprintMatches: boolean;
  /**
   * The validated path of the certificate used, leaf first, as DER, when it is valid PKI;
   * otherwise just the certificate. `toTlsOptions` sends it as the chain. The bytes are this
   * result's own (views into one buffer per result): writing into them changes nothing else.
   */
  readonly chain: readonly Uint8Array[];
}

/** What an anonymous-TLS selection resolves with, discriminated by `outcome`. */
export type AnonymousTlsSelection = NotAttempted | NoCertificate | Selected;

// ---------------------------------------------------------------------------------------------
// STARTTLS results

/** The name a STARTTLS selection looked for (S2, S10, E3), and where it came from. */
export interface LookedFor {
  /** A host name, or the `<I>…<S>…` text of a TlsCertificateName. */
  readonly name: string;
  /** The connector's TlsCertificateName (E3), its Fqdn, or the server's physical FQDN (S2). */
  readonly source: "tlsCertificateName" | "connector-fqdn" | "physical-fqdn";
}

/**
 * Why a STARTTLS selection found no certificate: none carries the name (S3), none of those is
 * eligible (S5), none of the eligible ones is valid PKI or self-signed (S7), or the store could
 * not be listed (its error is `cause`).
 */
export type StartTlsNoCertificateReason =
  | "no-matching-certificate"
  | "no-eligible-certificate"
  | "no-usable-certificate"
  | "store-unreadable";

interface StartTlsBase extends SelectionBase {
  readonly process: "starttls";
}

/** The Receive connector's AuthMechanism lacks Tls (S1): STARTTLS is not advertised. */
export interface StartTlsNotAttempted extends StartTlsBase {
  /** The discriminant. */
  readonly outcome: "not-attempted";
  /** Only the receiving side has a gate. */
  readonly direction: "inbound";
  /** STARTTLS is not advertised. */
  readonly advertiseStartTls: false;
  /** The condition that did not hold. */
  readonly failed: readonly ["S1"];
}

interface StartTlsNoCertificateBase extends StartTlsBase {
  /** The discriminant. */
  readonly outcome: "no-certificate";
  /** Why no certificate was found; 12014 is logged. */
  readonly reason: StartTlsNoCertificateReason;
  /** The name looked for. */
  readonly lookedFor: LookedFor;
  /** What the store threw, for `store-unreadable`. */
  readonly cause?: unknown;
}

/** No certificate for inbound STARTTLS (S3, S5, S7): STARTTLS is not advertised, 12014. */
export interface InboundStartTlsNoCertificate extends StartTlsNoCertificateBase {
  /** The receiving side. */
  readonly direction: "inbound";
  /** STARTTLS is not advertised. */
  readonly advertiseStartTls: false;
}

/**
 * No certificate for outbound STARTTLS (S10): STARTTLS is still negotiated, without a client
 * certificate, and 12014 is logged.
 */
export interface OutboundStartTlsNoCertificate extends StartTlsNoCertificateBase {
  /** The sending side. */
  readonly direction: "outbound";
  /** STARTTLS is still negotiated (without a client certificate). */
  readonly negotiateStartTls: true;
}

interface StartTlsSelectedBase extends StartTlsBase {
  /** The discriminant. */
  readonly outcome: "selected";
  /** The name looked for. */
  readonly lookedFor: LookedFor;
  /** The certificate presented: 40 upper-case hex digits. */
  readonly thumbprint: string;
  /** Its store entry (a frozen copy; the bytes are this result's own). */
  readonly entry: StoreEntry;
  /** Its validated path without the anchor when valid PKI, else just the certificate (DER). */
  readonly chain: readonly Uint8Array[];
  /** S6: the first valid PKI certificate, or (none being valid PKI) the first self-signed one. */
  readonly basis: "pki" | "self-signed";
  /** S8: it has expired (12016 was logged); it is still presented. */
  readonly expired: boolean;
  /**
   * A22: its Valid from is after the evaluation time. It is still presented (S6 orders by Valid
   * from and judges only the chain); no event is documented for this, and TLS peers refuse it.
   */
  readonly notYetValid: boolean;
  /**
   * E4: whether SMTP is enabled on it. Always true in 2007 (the flag gates eligibility); in 2016 a
   * certificate without it can still be chosen, and TLS then fails later on a real server.
   */
  readonly smtpEnabled: boolean;
}

/** Inbound STARTTLS presents this certificate (S6), advertised even when expired (S8). */
export interface InboundStartTlsSelected extends StartTlsSelectedBase {
  /** The receiving side. */
  readonly direction: "inbound";
  /** STARTTLS is advertised. */
  readonly advertiseStartTls: true;
}

/** Outbound STARTTLS offers this certificate as its client certificate (S10). */
export interface OutboundStartTlsSelected extends StartTlsSelectedBase {
  /** The sending side. */
  readonly direction: "outbound";
  /** STARTTLS is negotiated with this certificate. */
  readonly negotiateStartTls: true;
}

/**
 * S11 (2016 edition): the Send connector's TlsCertificateName resolves to no usable
 * certificate, so the session fails with `reply`; 12014 is logged.
 */
export interface OutboundStartTlsSessionFails extends StartTlsBase {
  /** The discriminant. */
  readonly outcome: "session-fails";
  /** The sending side. */
  readonly direction: "outbound";
  /** STARTTLS is not negotiated: the session fails. */
  readonly negotiateStartTls: false;
  /** The only edition with a TlsCertificateName. */
  readonly edition: "2016";
  /** The reply the session fails with (S11). */
  readonly reply: "454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.";
  /** Why the name resolved to nothing. */
  readonly reason: StartTlsNoCertificateReason;
  /** The name looked for: always the connector's TlsCertificateName (`<I>…<S>…`). */
  readonly lookedFor: LookedFor & { readonly source: "tlsCertificateName" };
  /** What the store threw, for `store-unreadable`. */
  readonly cause?: unknown;
}

/** What `selectInboundStartTlsCert` resolves with. */
export type InboundStartTlsSelection =
  | StartTlsNotAttempted
  | InboundStartTlsNoCertificate
  | InboundStartTlsSelected;

/** What `selectOutboundStartTlsCert` resolves with. */
export type OutboundStartTlsSelection =
  | OutboundStartTlsNoCertificate
  | OutboundStartTlsSelected
  | OutboundStartTlsSessionFails;

/** A STARTTLS selection's result, either side. */
export type StartTlsSelection = InboundStartTlsSelection | OutboundStartTlsSelection;

/**
 * The result of any selection, discriminated by `process` and `outcome`. Outcomes are values:
 * only misuse rejects.
 */
export type Selection = AnonymousTlsSelection | StartTlsSelection;
/** An anonymous-TLS selection's common fields. */
interface AnonymousTlsBase extends SelectionBase {
  readonly process: "anonymous-tls";
}

/** The `outcome` of a {@link Selection}. */
export type Outcome = Selection["outcome"];
