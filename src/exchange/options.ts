// Checking what the caller passed, once, at the entry point. Wrong types and missing parts are
// misuse (TypeError); connector values Exchange would refuse are InvalidSettingError; a trust
// anchor that does not parse is InvalidCertificateError. `now` is resolved here, once (A4).
import type {
  CertStore,
  CommonSelectionOptions,
  Directory,
  ExpiryWarning,
  InboundSelectionOptions,
  OutboundSelectionOptions,
  Phase,
  ServerNames,
  ThumbprintMismatchPolicy,
} from "../types.js";
import type { ValidationProfile } from "../x509/path/validator.js";
import { type CrlSet, prepareCrls, type RevocationMode } from "../x509/revocation/checker.js";
import type {
  AddressSpace,
  AuthMechanism,
  DeliveryType,
  SmartHostAuthMechanism,
} from "./vocabulary.js";
import {
  parseAddressSpace,
  parseAuthMechanism,
  parseDeliveryType,
  parseSmartHostAuthMechanism,
} from "./vocabulary.js";

export interface CommonInput {
  readonly directory: Directory;
  readonly store: CertStore;
  readonly phase: Phase;
  readonly now: Date;
  readonly onEvent: CommonSelectionOptions["onEvent"];
  readonly signal: AbortSignal | undefined;
  readonly expiryWarning: ExpiryWarning | undefined;
  /** Which path-validation profile decides "valid PKI" (A3). */
  readonly profile: ValidationProfile;
  /** A21: the caller's CRLs, parsed once, and the mode; undefined when neither was given. */
  readonly revocation: RevocationInput | undefined;
}

/** A21: what the trust evaluator checks revocation with. */
export interface RevocationInput {
  readonly crls: CrlSet;
  readonly mode: RevocationMode;
}

export interface OutboundInput extends CommonInput {
  readonly role: OutboundSelectionOptions["role"];
  readonly smartHostAuthMechanism: SmartHostAuthMechanism;
  readonly addressSpaces: readonly AddressSpace[];
  readonly deliveryType: DeliveryType | undefined;
  readonly server: ServerNames;
  readonly wildcardNames: boolean;
  readonly onThumbprintMismatch: ThumbprintMismatchPolicy;
}

export interface InboundInput extends CommonInput {
  readonly authMechanism: ReadonlySet<AuthMechanism>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new TypeError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
}

function checkCommon(options: CommonSelectionOptions): CommonInput {
  if (!isObject(options)) throw new TypeError("options must be an object");
  const { directory, store, now, onEvent, signal, expiryWarning } = options;
  if (!isObject(directory) || typeof directory.readInternalTransportCertificate !== "function") {
    throw new TypeError("directory must have a readInternalTransportCertificate() method");
  }
  if (!isObject(store) || typeof store.list !== "function") {
    throw new TypeError("store must have a list() method");
  }
  if (now !== undefined && !(now instanceof Date && !Number.isNaN(now.getTime()))) {
    throw new TypeError("now must be a valid Date");
  }
  if (onEvent !== undefined && typeof onEvent !== "function")
    throw new TypeError("onEvent must be a function");
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError("signal must be an AbortSignal");
  // Read once, here: the expiry step runs later, and a caller that changes its object in the
  // meantime must not change this selection (issue 18: callers that mutate what they gave).
  const days: unknown = isObject(expiryWarning) ? expiryWarning.days : undefined;
  if (
    expiryWarning !== undefined &&
    !(typeof days === "number" && Number.isFinite(days) && days >= 0)
  ) {
    throw new TypeError("expiryWarning.days must be a finite number of days, zero or more");
  }
  return {
    directory,
    store,
    phase: oneOf("phase", options.phase, ["session", "startup"], "session"),
    now: new Date((now ?? new Date()).getTime()),
    onEvent,
    signal,
    expiryWarning: expiryWarning === undefined ? undefined : { days: days as number },
    profile: checkProfile(options.profile),
    revocation: checkRevocation(options.crls, options.revocationMode),
  };
}

/**
 * A21: `crls` and `revocationMode`, checked and parsed once. A wrong type is misuse (TypeError);
 * a CRL that does not parse is not: it is ignored and reported (CrlSet.ignored), as
 * validateCertificatePath does. Undefined when neither was given (no revocation checking).
 */
export function checkRevocation(crls: unknown, mode: unknown): RevocationInput | undefined {
  if (crls === undefined && mode === undefined) return undefined;
  if (crls !== undefined) {
    if (!Array.isArray(crls)) throw new TypeError("crls must be an array of DER bytes or PEM text");
    for (const crl of crls) {
      if (!(crl instanceof Uint8Array) && typeof crl !== "string") {
        throw new TypeError("each of crls must be DER bytes (Uint8Array) or PEM text");
      }
    }
  }
  const checkedMode = oneOf<RevocationMode>("revocationMode", mode, ["soft", "hard"], "soft");
  // prepareCrls copies DER input: a caller reusing its buffer cannot change a kept CRL.
  return { crls: prepareCrls((crls ?? []) as readonly (Uint8Array | string)[]), mode: checkedMode };
}

/** The validation profile (A3): "rfc5280" by default, or "strict". */
export function checkProfile(profile: unknown): ValidationProfile {
  return oneOf("profile", profile, ["rfc5280", "strict"], "rfc5280");
}

function checkServer(server: unknown): ServerNames {
  if (!isObject(server))
    throw new TypeError("server must be an object with the computer's names (R8)");
  for (const key of ["fqdn", "hostName", "physicalFqdn", "physicalHostName"] as const) {
    if (typeof server[key] !== "string") throw new TypeError(`server.${key} must be a string`);
  }
  if (server.clusterName !== undefined && typeof server.clusterName !== "string") {
    throw new TypeError("server.clusterName must be a string when given");
  }
  const names = server as unknown as ServerNames;
  return {
    fqdn: names.fqdn,
    hostName: names.hostName,
    physicalFqdn: names.physicalFqdn,
    physicalHostName: names.physicalHostName,
    ...(names.clusterName !== undefined ? { clusterName: names.clusterName } : {}),
  };
}

export function checkOutboundOptions(options: OutboundSelectionOptions): OutboundInput {
  const common = checkCommon(options);
  const role = options.role;
  if (role !== "HubTransport" && role !== "EdgeTransport") {
    throw new TypeError('role must be "HubTransport" or "EdgeTransport"');
  }
  const connector: unknown = options.sendConnector;
  if (!isObject(connector)) throw new TypeError("sendConnector must be an object");
  if (!Array.isArray(connector.addressSpaces))
    throw new TypeError("sendConnector.addressSpaces must be an array");
  if (options.wildcardNames !== undefined && typeof options.wildcardNames !== "boolean") {
    throw new TypeError("wildcardNames must be a boolean");
  }
  // Fields listed one by one, not spread: V8 takes a slow path when properties follow a spread,
  // and this runs on every session (issue "Fast enough for every SMTP session").
  return {
    directory: common.directory,
    store: common.store,
    phase: common.phase,
    now: common.now,
    onEvent: common.onEvent,
    signal: common.signal,
    expiryWarning: common.expiryWarning,
    profile: common.profile,
    revocation: common.revocation,
    role,
    smartHostAuthMechanism: parseSmartHostAuthMechanism(connector.smartHostAuthMechanism),
    addressSpaces: connector.addressSpaces.map(parseAddressSpace),
    deliveryType:
      options.deliveryType === undefined ? undefined : parseDeliveryType(options.deliveryType),
    server: checkServer(options.server),
    wildcardNames: options.wildcardNames === true,
    onThumbprintMismatch: oneOf(
      "onThumbprintMismatch",
      options.onThumbprintMismatch,
      ["keep-directory-certificate", "use-best-candidate"],
      "keep-directory-certificate",
    ),
  };
}

export function checkInboundOptions(options: InboundSelectionOptions): InboundInput {
  const common = checkCommon(options);
  const connector: unknown = options.receiveConnector;
  if (!isObject(connector)) throw new TypeError("receiveConnector must be an object");
  return {
    directory: common.directory,
    store: common.store,
    phase: common.phase,
    now: common.now,
    onEvent: common.onEvent,
    signal: common.signal,
    expiryWarning: common.expiryWarning,
    profile: common.profile,
    revocation: common.revocation,
    authMechanism: parseAuthMechanism(connector.authMechanism),
  };
}
