// Public types: inputs (injected Directory and CertStore, connector settings) and outputs (the
// Selection union, events, trace, per-certificate verdicts). Vocabulary follows docs/rules.md.
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

/** The transport role of the server that runs the outbound selection (R1, R2). */
export type Role = "HubTransport" | "EdgeTransport";

/** When the lookup runs: at transport service start-up (R5 logs 12012) or in an SMTP session. */
export type Phase = "session" | "startup";

/**
 * The settings of the Send connector the session is bound to that the gate reads (R1a, R2a, R2b).
 */
export interface SendConnector {
  /** Exactly one of None, BasicAuth, BasicAuthRequireTLS, ExchangeServer, ExternalAuthoritative. */
  readonly smartHostAuthMechanism: string;
  /** Address spaces, `TYPE:ADDRESS;COST` or a bare address (SMTP, cost 1). */
  readonly addressSpaces: readonly string[];
}

/** The setting of the Receive connector that the inbound gate reads (I1). */
export interface ReceiveConnector {
  /** A flags set: "Tls, Integrated, ExchangeServer" or ["Tls", "ExchangeServer"] (I1). */
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

/** Options both directions share. */
export interface CommonSelectionOptions {
  /** Where `msExchServerInternalTLSCert` is read (R3). */
  readonly directory: Directory;
  /** The local computer's certificate store (R6, R10). */
  readonly store: CertStore;
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
  /** Off by default (Exchange 2007 had no such warning). */
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
  | "I4";

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
  /** The level Exchange logs it at. */
  readonly level: "Warning";
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
  /** The level Exchange logs it at. */
  readonly level: "Warning";
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

/** Every event a selection can log, discriminated by `id`. */
export type ExchangeEvent = Event12012 | Event12013 | Event12015 | Event12017 | Event1037;
/** The id of an {@link ExchangeEvent}. */
export type EventId = ExchangeEvent["id"];

// ---------------------------------------------------------------------------------------------
// Per-certificate verdicts

/** Why a store certificate is not eligible, or could not be read. */
export interface Exclusion {
  /** The rule that excluded it: R10a–R10d, or "parse" for an entry that is not a certificate. */
  readonly rule: "parse" | "R10a" | "R10b" | "R10c" | "R10d";
  /** Stable code, e.g. "der-malformed", "version-1", "no-private-key", "no-matching-name", "smtp-not-enabled". */
  readonly code: string;
  /** A sentence for people; not stable, do not match on it. */
  readonly message: string;
  /** What was required, and what the certificate had. */
  readonly expected?: string;
  /** What the certificate had, when `expected` is given. */
  readonly actual?: string;
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
        /** Eligible (R10): ranked, with its name match and trust. */
        readonly status: "eligible";
        /** Which of its names matched which domain-list entry (A7). */
        readonly match: NameMatch;
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

/** A gate condition that did not hold (R1a/R1b on a Hub, R2a/R2b on an Edge, I1 inbound). */
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
  /** Which side ran: the sending server (outbound) or the receiving one (inbound). */
  readonly direction: "outbound" | "inbound";
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
export interface NotAttempted extends SelectionBase {
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
export interface NoCertificate extends SelectionBase {
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
export interface Selected extends SelectionBase {
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
  /** The best-ranked eligible certificate (R11–R13), or null when none is eligible (A8) or inbound. */
  readonly bestCandidate: string | null;
  /** R14. Always true inbound (the receiving side has no ranking step). */
  readonly thumbprintMatches: boolean;
  /**
   * The validated path of the certificate used, leaf first, as DER, when it is valid PKI;
   * otherwise just the certificate. `toTlsOptions` sends it as the chain. The bytes are this
   * result's own (views into one buffer per result): writing into them changes nothing else.
   */
  readonly chain: readonly Uint8Array[];
}

/**
 * The result of a selection, discriminated by `outcome`. Outcomes are values: only misuse rejects.
 */
export type Selection = NotAttempted | NoCertificate | Selected;
/** The `outcome` of a {@link Selection}. */
export type Outcome = Selection["outcome"];
