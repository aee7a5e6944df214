// The options of an LdapDirectory, and their one parser. Misuse (a wrong type, a contradiction
// such as StartTLS on ldaps://) is a TypeError at construction time, never a failed read later:
// a read that fails is an R4 outcome, and a misconfiguration must not hide among those.
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";

/** How to find the server object. */
export type ServerObjectLookup =
  | {
      /** The server object's distinguished name, read with a base-scope search. */
      readonly serverDN: string;
      /** Not with `serverDN`. */
      readonly serverName?: never;
      readonly baseDN?: never;
      /**
       * The class the object must have (default `msExchExchangeServer`): a DN that names another
       * object, such as the Servers container, is an error that names the class found.
       */
      readonly serverObjectClass?: string;
      readonly nameAttribute?: never;
    }
  | {
      /** Not with `serverName`. */
      readonly serverDN?: never;
      /** The server's name (the `cn` of its object in Exchange), e.g. `EDGE01`. Matched exactly. */
      readonly serverName: string;
      /**
       * Where to search (whole subtree). Default: the root DSE's `configurationNamingContext`,
       * i.e. `CN=Configuration,DC=…` in AD and `CN=Configuration,CN={GUID}` in AD LDS.
       */
      readonly baseDN?: string;
      /** Default `msExchExchangeServer`. */
      readonly serverObjectClass?: string;
      /** Default `cn`. */
      readonly nameAttribute?: string;
    };

/** How to reach and bind to the directory (AD on a Hub, AD LDS on an Edge). */
export interface LdapConnectionOptions {
  /** `ldap://host[:port]` or `ldaps://host[:port]`; nothing after the port. */
  readonly url: string;
  /** Upgrade an `ldap://` connection with StartTLS before binding (not with `ldaps://`). */
  readonly startTLS?: boolean;
  /** CA certificates (PEM text or DER bytes) that the server's TLS certificate must chain to. */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** More Node `tls.connect` options (e.g. `servername`). Certificate checks stay on by default. */
  readonly tlsOptions?: ConnectionOptions;
  /** Simple bind DN (AD also accepts a UPN such as `svc-tls@contoso.com`). Default: anonymous. */
  readonly bindDN?: string;
  /** The password for `bindDN`. */
  readonly password?: string;
  /** Milliseconds to establish the connection (TCP, and TLS for ldaps://). Default 10 000. */
  readonly connectTimeout?: number;
  /** Milliseconds for each operation (StartTLS, bind, search). Default 10 000. */
  readonly timeout?: number;
  /** Aborts every read of this directory; a call's own `signal` adds to it. */
  readonly signal?: AbortSignal;
  /**
   * An object without the attribute: `"null"` (default) returns null, R4's "value is null";
   * `"error"` throws `ERR_LDAP_NO_ATTRIBUTE`. AD omits attributes the account may not read, so
   * `"error"` helps while permissions are being set up.
   */
  readonly missingAttribute?: "null" | "error";
}

/**
 * Everything an `LdapDirectory` is constructed with: the connection, and exactly one way to find
 * the server object.
 */
export type LdapDirectoryOptions = LdapConnectionOptions & ServerObjectLookup;

/** The attribute, as AD's schema spells its lDAPDisplayName (R3). */
export const INTERNAL_TLS_CERT_ATTRIBUTE = "msExchServerInternalTLSCert";
/** The object class searched for with `serverName`: Exchange's server objects. */
export const DEFAULT_SERVER_OBJECT_CLASS = "msExchExchangeServer";
/** The attribute that holds the server's name, searched for with `serverName`. */
export const DEFAULT_NAME_ATTRIBUTE = "cn";
const DEFAULT_TIMEOUT_MS = 10_000;

export type ParsedLookup =
  | { readonly kind: "dn"; readonly dn: string; readonly objectClass: string }
  | {
      readonly kind: "name";
      readonly name: string;
      readonly baseDN: string | undefined;
      readonly objectClass: string;
      readonly nameAttribute: string;
    };

export interface ParsedOptions {
  readonly url: string;
  readonly host: string;
  /** ldaps:// */
  readonly secure: boolean;
  readonly startTLS: boolean;
  /** For ldaps:// or StartTLS; undefined otherwise. */
  readonly tls: ConnectionOptions | undefined;
  readonly bind: { readonly dn: string; readonly password: string } | undefined;
  readonly connectTimeout: number;
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  readonly lookup: ParsedLookup;
  readonly missingAttribute: "null" | "error";
}

// An attribute description's name part (RFC 4512 §2.5): a keystring or a numeric OID. Nothing
// else may reach the filter's attribute side.
const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)$/;

function optionalString(options: object, key: string): string | undefined {
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new TypeError(`LdapDirectory: ${key} must be a string`);
  return value;
}

function nonEmpty(key: string, value: string): string {
  if (value.trim().length === 0) throw new TypeError(`LdapDirectory: ${key} must not be empty`);
  return value;
}

function milliseconds(key: string, value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof value !== "number" || Number.isNaN(value) || value <= 0) {
    throw new TypeError(`LdapDirectory: ${key} must be a positive number of milliseconds`);
  }
  return value;
}

function attributeName(key: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!ATTRIBUTE_NAME.test(value)) {
    throw new TypeError(
      `LdapDirectory: ${key} ${JSON.stringify(value)} is not an LDAP name or OID`,
    );
  }
  return value;
}

function pem(certificate: string | Uint8Array): string {
  if (typeof certificate === "string") return certificate;
  if (!(certificate instanceof Uint8Array)) {
    throw new TypeError("LdapDirectory: ca must hold PEM strings or DER bytes");
  }
  const body = Buffer.from(certificate).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
}

function parseLookup(options: LdapDirectoryOptions): ParsedLookup {
  const serverDN = optionalString(options, "serverDN");
  const serverName = optionalString(options, "serverName");
  if ((serverDN === undefined) === (serverName === undefined)) {
    throw new TypeError("LdapDirectory: give exactly one of serverDN and serverName");
  }
  if (serverDN !== undefined) {
    for (const key of ["baseDN", "nameAttribute"]) {
      if ((options as unknown as Record<string, unknown>)[key] !== undefined) {
        throw new TypeError(`LdapDirectory: ${key} only applies to a lookup by serverName`);
      }
    }
    return {
      kind: "dn",
      dn: nonEmpty("serverDN", serverDN),
      objectClass: attributeName(
        "serverObjectClass",
        optionalString(options, "serverObjectClass"),
        DEFAULT_SERVER_OBJECT_CLASS,
      ),
    };
  }
  const baseDN = optionalString(options, "baseDN");
  return {
    kind: "name",
    name: nonEmpty("serverName", serverName!),
    baseDN: baseDN === undefined ? undefined : nonEmpty("baseDN", baseDN),
    objectClass: attributeName(
      "serverObjectClass",
      optionalString(options, "serverObjectClass"),
      DEFAULT_SERVER_OBJECT_CLASS,
    ),
    nameAttribute: attributeName(
      "nameAttribute",
      optionalString(options, "nameAttribute"),
      DEFAULT_NAME_ATTRIBUTE,
    ),
  };
}

/** Validates and snapshots the options (later changes to the caller's object have no effect). */
export function parseOptions(options: LdapDirectoryOptions): ParsedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("LdapDirectory: options must be an object");
  }
  const url = nonEmpty("url", optionalString(options, "url") ?? "");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new TypeError(`LdapDirectory: url ${JSON.stringify(url)} is not a URL`, { cause: error });
  }
  if (parsed.protocol !== "ldap:" && parsed.protocol !== "ldaps:") {
    throw new TypeError("LdapDirectory: url must start with ldap:// or ldaps://");
  }
  // An LDAP URL may carry a DN, attributes and a filter (RFC 4516); this adapter takes those as
  // options instead, so anything after the port would be silently ignored: refuse it.
  if (
    (parsed.pathname !== "" && parsed.pathname !== "/") ||
    parsed.search !== "" ||
    parsed.hash !== ""
  ) {
    throw new TypeError("LdapDirectory: url takes a scheme, host and port only");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new TypeError("LdapDirectory: put credentials in bindDN/password, not in the url");
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const secure = parsed.protocol === "ldaps:";

  const startTLS = options.startTLS ?? false;
  if (typeof startTLS !== "boolean")
    throw new TypeError("LdapDirectory: startTLS must be a boolean");
  if (startTLS && secure) {
    throw new TypeError("LdapDirectory: startTLS upgrades ldap://; ldaps:// is TLS already");
  }
  const caList =
    options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  const tlsOptions = options.tlsOptions;
  if (tlsOptions !== undefined && (typeof tlsOptions !== "object" || tlsOptions === null)) {
    throw new TypeError("LdapDirectory: tlsOptions must be an object");
  }
  const wantsTls = secure || startTLS;
  if (!wantsTls && (options.ca !== undefined || tlsOptions !== undefined)) {
    // Without TLS these would be ignored, and the caller would believe the link is protected.
    throw new TypeError("LdapDirectory: ca/tlsOptions need ldaps:// or startTLS");
  }
  let tls: ConnectionOptions | undefined;
  if (wantsTls) {
    const ca = caList.map((certificate: string | Uint8Array) => pem(certificate));
    tls = {
      ...tlsOptions,
      ...(ca.length > 0 ? { ca } : {}),
      // SNI and the certificate's name check need the host name (not an IP address).
      ...(tlsOptions?.servername === undefined && isIP(host) === 0 ? { servername: host } : {}),
    };
  }

  const bindDN = optionalString(options, "bindDN");
  const password = optionalString(options, "password");
  if ((bindDN === undefined) !== (password === undefined)) {
    throw new TypeError("LdapDirectory: bindDN and password go together");
  }
  if (password !== undefined && password.length === 0) {
    // RFC 4513 §5.1.2: a name with an empty password is an "unauthenticated bind", which some
    // servers accept as anonymous: that would turn a missing secret into a silent success.
    throw new TypeError("LdapDirectory: password must not be empty");
  }

  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError("LdapDirectory: signal must be an AbortSignal");
  }
  const missingAttribute = options.missingAttribute ?? "null";
  if (missingAttribute !== "null" && missingAttribute !== "error") {
    throw new TypeError('LdapDirectory: missingAttribute must be "null" or "error"');
  }

  return {
    url: `${parsed.protocol}//${parsed.host}`,
    host,
    secure,
    startTLS,
    tls,
    bind:
      bindDN === undefined ? undefined : { dn: nonEmpty("bindDN", bindDN), password: password! },
    connectTimeout: milliseconds("connectTimeout", options.connectTimeout),
    timeout: milliseconds("timeout", options.timeout),
    signal,
    lookup: parseLookup(options),
    missingAttribute,
  };
}
