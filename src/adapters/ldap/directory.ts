// LdapDirectory: the `Directory` that reads msExchServerInternalTLSCert (R3) from Active
// Directory (Hub) or AD LDS (Edge) with ldapts. One read = one connection: connect, StartTLS,
// bind, find the object, read the attribute, unbind; nothing is cached or pooled, so each R3
// lookup sees the directory as it is now.
//
// Q: the object exists but has no msExchServerInternalTLSCert?
// A: null. LDAP has no "null" value: an attribute that is not set is simply absent, and that is
//    the topic's "its value is null" (R4, the selection's "directory-empty"). `missingAttribute:
//    "error"` throws ERR_LDAP_NO_ATTRIBUTE instead, because AD also omits attributes the bound
//    account may not read, and during set-up that is worth telling apart.
// Q: the object comes back with no attributes at all, not even objectClass?
// A: ERR_LDAP_ACCESS, naming the account and the DN. That is how Active Directory answers an
//    account that may not read the object (measured against a Samba AD DC, test/ldap/samba-ad):
//    the entry, without attributes. Every object has an objectClass, so it is requested with the
//    attribute: its absence means "cannot be read" (R4, directory-unreadable), never "null". An
//    attribute hidden on a readable object (a deny ACE on the attribute alone, or confidentiality,
//    searchFlags 128) still looks exactly like an unset one; that is R4's null unless
//    `missingAttribute: "error"`, whose message says it may be a permission.
// Q: the object, or the base DN, does not exist?
// A: a throw (ERR_LDAP_NO_SUCH_OBJECT) naming the DN: the attribute "cannot be read" (R4), and the
//    cause says why. A search by name that finds nothing re-reads its base to say whether the
//    base itself is unreadable (ERR_LDAP_ACCESS). `serverDN` naming an object of another class
//    (the Servers container) is ERR_LDAP_WRONG_OBJECT_CLASS, naming the class found. So do a
//    refused or lost connection, at any phase (ERR_LDAP_CONNECT, with the phase), a refused
//    certificate (ERR_LDAP_TLS), a timeout (ERR_LDAP_TIMEOUT), refused credentials
//    (ERR_LDAP_BIND) and an abort (ERR_LDAP_ABORTED). The selection keeps the error as the
//    outcome's cause; every message is one line.
// Q: a lookup by name matches two objects, or the attribute has two values?
// A: ERR_LDAP_AMBIGUOUS. Guessing could hand us another server's certificate.
// Q: can a server name change the search?
// A: no. The filter is built as a structure (an AND of two equality matches), never as text, so
//    `*`, `(`, `)` and `\` in a name are plain characters of the value sent to the server.
// Q: what comes back?
// A: the attribute's bytes, exactly (always requested through `explicitBufferAttributes`, so
//    ldapts never decodes them as UTF-8). The selection recognizes the three forms
//    (docs/rules.md, "Values"); zero bytes are its A15 null.
import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import {
  AndFilter,
  Client,
  type Entry,
  EqualityFilter,
  NoSuchObjectError,
  PresenceFilter,
  ResultCodeError,
} from "ldapts";

import type { Directory } from "../../types.js";
import { LdapDirectoryError, type LdapPhase } from "./errors.js";
import {
  INTERNAL_TLS_CERT_ATTRIBUTE,
  type LdapDirectoryOptions,
  type ParsedOptions,
  parseOptions,
} from "./options.js";

const ATTRIBUTE_LOWER = INTERNAL_TLS_CERT_ATTRIBUTE.toLowerCase();
// ldapts matches explicitBufferAttributes case-sensitively against the name the server sends
// back; AD and slapd echo the schema's spelling, the lower-case form covers servers that fold.
const BUFFER_ATTRIBUTES = [INTERNAL_TLS_CERT_ATTRIBUTE, ATTRIBUTE_LOWER];
/** objectClass tells "no such attribute" from "the object cannot be read" (see the top). */
const REQUESTED_ATTRIBUTES = ["objectClass", INTERNAL_TLS_CERT_ATTRIBUTE];
/** Socket error codes that mean the connection went away (or never came), not a TLS refusal. */
const CONNECTION_LOSS_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** RFC 4511 §4.1.9 operationsError. */
const OPERATIONS_ERROR = 1;
/** RFC 4511 §4.1.9 insufficientAccessRights. */
const INSUFFICIENT_ACCESS_RIGHTS = 50;
/** How long closing may wait for the Unbind to be written before the socket is destroyed. */
const UNBIND_GRACE_MS = 1_000;
/** setTimeout fires at once for delays it cannot represent; those mean "no limit" here. */
const MAX_TIMER_MS = 2_147_483_647;

/** A `Directory` backed by an LDAP server (Active Directory, AD LDS, or any LDAP v3 server). */
export class LdapDirectory implements Directory {
  readonly #options: ParsedOptions;

  constructor(options: LdapDirectoryOptions) {
    this.#options = parseOptions(options);
  }

  /** R3: reads msExchServerInternalTLSCert. Throws {@link LdapDirectoryError} when it cannot. */
  async readInternalTransportCertificate(options?: {
    readonly signal?: AbortSignal;
  }): Promise<Uint8Array | null> {
    const callSignal = options?.signal;
    if (callSignal !== undefined && !(callSignal instanceof AbortSignal)) {
      throw new TypeError("readInternalTransportCertificate: signal must be an AbortSignal");
    }
    const signals = [this.#options.signal, callSignal].filter(
      (signal): signal is AbortSignal => signal !== undefined,
    );
    const alreadyAborted = signals.find((signal) => signal.aborted);
    if (alreadyAborted !== undefined) throw abortError("connect", alreadyAborted.reason);

    const read = new Read(this.#options);
    const onAbort = (event: Event): void => {
      read.fail(abortError(read.phase, (event.target as AbortSignal).reason));
    };
    for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await read.run();
    } finally {
      for (const signal of signals) signal.removeEventListener("abort", onAbort);
      await read.close();
    }
  }
}

function abortError(phase: LdapPhase, reason: unknown): LdapDirectoryError {
  return new LdapDirectoryError("ERR_LDAP_ABORTED", phase, "the directory read was aborted", {
    cause: reason,
  });
}

/** The text of a thrown value (LdapDirectoryError folds it onto one line). */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A socket that closed or failed under us. ldapts reports a pending request's lost socket as a
 * plain Error without code or cause ("Socket error. Message type: …\n<the socket's message>",
 * "Connection closed before message response was received"), so its text is all there is.
 */
function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && CONNECTION_LOSS_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : "";
  return /^(?:Socket error\. Message type|Connection closed before message response|socket hang up)|disconnected before secure TLS/i.test(
    message,
  );
}

/** The values of an entry's attribute, whatever case the server spelled its name in. */
function values(entry: Entry, name: string): unknown {
  const lower = name.toLowerCase();
  const key = Object.keys(entry).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : entry[key];
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

/** One read: one connection, its timers, and its sockets, all released by `close()`. */
class Read {
  readonly #options: ParsedOptions;
  readonly #client: Client;
  readonly #sockets: Socket[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Rejected by `fail()` (abort, timeout); every step races against it. */
  readonly #failure: Promise<never>;
  #rejectFailure: (error: LdapDirectoryError) => void = () => {};
  #failed = false;
  #phase: LdapPhase = "connect";
  /** What the current search reads, for messages ("the server object CN=…"). */
  #target = "";
  #tcpConnected = false;
  #transportReady = false;
  #onTransportReady: (() => void) | undefined;

  constructor(options: ParsedOptions) {
    this.#options = options;
    this.#failure = new Promise<never>((_, reject) => {
      this.#rejectFailure = reject;
    });
    this.#failure.catch(() => {}); // observed through the races; never unhandled
    // ldapts treats any tlsOptions as "connect with TLS", so they go to the constructor only for
    // ldaps://; StartTLS gets them when it upgrades. Our own connection functions let us see
    // when the transport is up (connect timeout vs. operation timeout, TCP vs. TLS failure) and
    // destroy every socket on abort, even one still connecting.
    this.#client = new Client({
      url: options.url,
      strictDN: true,
      ...(options.secure && options.tls !== undefined ? { tlsOptions: options.tls } : {}),
      createConnection: ((port: number, host: string) =>
        this.#track(netConnect({ port, host }), "plain")) as typeof netConnect,
      createSecureConnection: ((
        portOrOptions: number | ConnectionOptions,
        host?: string,
        tlsOptions?: ConnectionOptions,
      ) =>
        typeof portOrOptions === "number"
          ? this.#track(tlsConnect(portOrOptions, host, tlsOptions), "ldaps")
          : this.#track(tlsConnect(portOrOptions), "starttls")) as typeof tlsConnect,
    });
  }

  get phase(): LdapPhase {
    return this.#transportReady ? this.#phase : "connect";
  }

  /** Ends the read with `error` (first call wins); `close()` releases the connection. */
  fail(error: LdapDirectoryError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#rejectFailure(error);
  }

  async run(): Promise<Uint8Array | null> {
    const options = this.#options;
    const connectTimer = this.#timer(options.connectTimeout, () => {
      this.fail(
        new LdapDirectoryError(
          "ERR_LDAP_TIMEOUT",
          "connect",
          `no connection to ${options.url} within ${options.connectTimeout} ms`,
        ),
      );
    });
    this.#onTransportReady = () => this.#clear(connectTimer);

    // Each step connects on demand (ldapts opens the socket for the first request).
    if (options.startTLS) {
      const tls: ConnectionOptions = { ...options.tls, host: options.host };
      await this.#step("starttls", () => this.#client.startTLS(tls));
    }
    const bind = options.bind;
    if (bind !== undefined)
      await this.#step("bind", () => this.#client.bind(bind.dn, bind.password));

    const lookup = options.lookup;
    if (lookup.kind === "dn") {
      this.#target = `the server object ${lookup.dn}`;
      const { searchEntries } = await this.#step("search", () =>
        this.#client.search(lookup.dn, {
          scope: "base",
          filter: new PresenceFilter({ attribute: "objectClass" }),
          attributes: REQUESTED_ATTRIBUTES,
          explicitBufferAttributes: BUFFER_ATTRIBUTES,
        }),
      );
      if (searchEntries.length === 0) {
        throw new LdapDirectoryError(
          "ERR_LDAP_NO_SUCH_OBJECT",
          "search",
          `${this.#target} was not returned to ${this.#account()}`,
        );
      }
      return this.#value(searchEntries, lookup.dn, lookup.objectClass);
    }
    this.#target = "the root DSE";
    const baseDN = lookup.baseDN ?? (await this.#step("discover", () => this.#configurationNC()));
    const filter = new AndFilter({
      filters: [
        new EqualityFilter({ attribute: "objectClass", value: lookup.objectClass }),
        new EqualityFilter({ attribute: lookup.nameAttribute, value: lookup.name }),
      ],
    });
    this.#target = `the search base ${baseDN}`;
    const { searchEntries } = await this.#step("search", () =>
      this.#client.search(baseDN, {
        scope: "sub",
        filter,
        attributes: REQUESTED_ATTRIBUTES,
        explicitBufferAttributes: BUFFER_ATTRIBUTES,
        // Two are enough to know the name is ambiguous.
        sizeLimit: 2,
      }),
    );
    const what = `${filter.toString()} under ${baseDN}`;
    if (searchEntries.length === 0) await this.#noServerObject(baseDN, what);
    return this.#value(searchEntries, what, undefined);
  }

  /** The bound account, as messages name it. */
  #account(): string {
    const bind = this.#options.bind;
    return bind === undefined ? "an anonymous bind" : `the account ${bind.dn}`;
  }

  /**
   * A search by name found nothing. AD filters out objects the account may not read, so "no such
   * server" may be a permission: read the base itself to say whether it is readable (R4's cause).
   */
  async #noServerObject(baseDN: string, what: string): Promise<never> {
    const { searchEntries } = await this.#step("search", () =>
      this.#client.search(baseDN, {
        scope: "base",
        filter: new PresenceFilter({ attribute: "objectClass" }),
        attributes: ["objectClass"],
      }),
    );
    const base = searchEntries[0];
    if (base === undefined || strings(values(base, "objectClass")).length === 0) {
      throw new LdapDirectoryError(
        "ERR_LDAP_ACCESS",
        "search",
        `no server object: ${what}, and ${this.#account()} cannot read the search base ${baseDN} itself: grant Read on it (and on the server objects under it) or run as an account that can`,
      );
    }
    throw new LdapDirectoryError(
      "ERR_LDAP_NO_SUCH_OBJECT",
      "search",
      `no server object: ${what} (the base is readable by ${this.#account()}; a server object it may not read is not found either)`,
    );
  }

  /** Unbinds (politely, briefly) and then destroys every socket and timer, whatever happened. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#client.unbind().catch(() => {}),
      new Promise<void>((resolve) => {
        grace = setTimeout(resolve, UNBIND_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    for (const socket of this.#sockets) {
      socket.on("error", () => {});
      // With an error, so that a connection attempt ldapts still waits for settles too.
      if (!socket.destroyed) socket.destroy(new Error("LdapDirectory: read finished"));
    }
  }

  #track<T extends Socket | TLSSocket>(socket: T, kind: "plain" | "ldaps" | "starttls"): T {
    this.#sockets.push(socket);
    if (this.#failed) {
      socket.on("error", () => {});
      socket.destroy(new Error("LdapDirectory: read already finished"));
    }
    if (kind === "plain" || kind === "ldaps") {
      socket.once("connect", () => {
        this.#tcpConnected = true;
        if (kind === "plain") this.#ready();
      });
    }
    if (kind === "ldaps") socket.once("secureConnect", () => this.#ready());
    return socket;
  }

  #ready(): void {
    this.#transportReady = true;
    this.#onTransportReady?.();
    this.#onTransportReady = undefined;
  }

  #timer(ms: number, onExpiry: () => void): ReturnType<typeof setTimeout> | undefined {
    if (ms > MAX_TIMER_MS) return undefined;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      onExpiry();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #clear(timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  /** Runs one LDAP operation under the operation timeout (which starts once connected). */
  async #step<T>(phase: LdapPhase, operation: () => Promise<T>): Promise<T> {
    this.#phase = phase;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const startTimer = (): void => {
      timer = this.#timer(this.#options.timeout, () => {
        this.fail(
          new LdapDirectoryError(
            "ERR_LDAP_TIMEOUT",
            phase,
            `${phase}: no answer from ${this.#options.url} within ${this.#options.timeout} ms`,
          ),
        );
      });
    };
    if (this.#transportReady) startTimer();
    else {
      const previous = this.#onTransportReady;
      this.#onTransportReady = () => {
        previous?.();
        startTimer();
      };
    }
    try {
      const attempt = (async () => operation())().catch((error: unknown) => {
        throw this.#classify(error, phase);
      });
      return await Promise.race([attempt, this.#failure]);
    } finally {
      this.#clear(timer);
    }
  }

  /** Which of the ways to fail an ldapts error is (see LdapErrorCode). */
  #classify(error: unknown, phase: LdapPhase): LdapDirectoryError {
    if (error instanceof LdapDirectoryError) return error;
    const url = this.#options.url;
    const why = describe(error);
    const lost = isConnectionLoss(error);
    if (!this.#transportReady) {
      if (this.#options.secure && this.#tcpConnected) {
        // A socket closed mid-handshake is a lost connection, not a refused certificate.
        if (lost) {
          return new LdapDirectoryError(
            "ERR_LDAP_CONNECT",
            "connect",
            `connection to ${url} lost during the TLS handshake: ${why}`,
            { cause: error },
          );
        }
        return new LdapDirectoryError("ERR_LDAP_TLS", "connect", `TLS with ${url}: ${why}`, {
          cause: error,
        });
      }
      return new LdapDirectoryError(
        "ERR_LDAP_CONNECT",
        "connect",
        `cannot connect to ${url}: ${why}`,
        {
          cause: error,
        },
      );
    }
    const resultCode = error instanceof ResultCodeError ? error.code : undefined;
    const details = { cause: error, ...(resultCode === undefined ? {} : { resultCode }) };
    if (phase === "starttls") {
      if (resultCode === undefined && lost) {
        return new LdapDirectoryError(
          "ERR_LDAP_CONNECT",
          phase,
          `connection to ${url} lost during StartTLS: ${why}`,
          details,
        );
      }
      return new LdapDirectoryError("ERR_LDAP_TLS", phase, `StartTLS with ${url}: ${why}`, details);
    }
    if (resultCode === undefined && lost) {
      // Not an LDAP answer: the connection went away under the operation.
      return new LdapDirectoryError(
        "ERR_LDAP_CONNECT",
        phase,
        `connection to ${url} lost during the ${phase}: ${why}`,
        details,
      );
    }
    if (resultCode === undefined) {
      // The server answered, but not with anything LDAP defines (an unknown protocol op, a
      // malformed message): the connection is fine, the answer is not.
      return new LdapDirectoryError(
        "ERR_LDAP_OPERATION",
        phase,
        `${url} gave an unexpected answer during the ${phase}: ${why}`,
        details,
      );
    }
    if (phase === "bind") {
      return new LdapDirectoryError(
        "ERR_LDAP_BIND",
        phase,
        `bind as ${this.#options.bind?.dn ?? "anonymous"} refused: ${why}`,
        details,
      );
    }
    if (error instanceof NoSuchObjectError) {
      // AD's own text names no DN (Samba: "acl_read: Error retrieving instanceType for base").
      return new LdapDirectoryError(
        "ERR_LDAP_NO_SUCH_OBJECT",
        phase,
        `${this.#target} does not exist (or is not visible to ${this.#account()}): ${why}`,
        details,
      );
    }
    if (resultCode === OPERATIONS_ERROR && this.#options.bind === undefined) {
      // AD refuses anonymous searches outside the root DSE with operationsError ("Operation
      // unavailable without authentication"), not insufficientAccessRights.
      return new LdapDirectoryError(
        "ERR_LDAP_ACCESS",
        phase,
        `the directory refuses to let an anonymous bind read ${this.#target}: give bindDN and password (${why})`,
        details,
      );
    }
    if (resultCode === INSUFFICIENT_ACCESS_RIGHTS) {
      return new LdapDirectoryError(
        "ERR_LDAP_ACCESS",
        phase,
        `${this.#account()} may not read ${this.#target}: ${why}`,
        details,
      );
    }
    return new LdapDirectoryError(
      "ERR_LDAP_OPERATION",
      phase,
      `${phase} of ${this.#target} as ${this.#account()}: ${why}`,
      details,
    );
  }

  /** The root DSE's configurationNamingContext: AD's and AD LDS's configuration partition. */
  async #configurationNC(): Promise<string> {
    const { searchEntries } = await this.#client.search("", {
      scope: "base",
      filter: new PresenceFilter({ attribute: "objectClass" }),
      attributes: ["configurationNamingContext"],
    });
    const value = searchEntries[0]?.["configurationNamingContext"];
    if (typeof value !== "string" || value.length === 0) {
      throw new LdapDirectoryError(
        "ERR_LDAP_NO_SUCH_OBJECT",
        "discover",
        "the root DSE has no configurationNamingContext: give baseDN",
      );
    }
    return value;
  }

  /**
   * The attribute's bytes, null when absent (R4 "value is null"), or why neither. `objectClass`
   * is the class a `serverDN` must have (undefined for a search by name: its filter has it).
   */
  #value(
    entries: readonly Entry[],
    what: string,
    objectClass: string | undefined,
  ): Uint8Array | null {
    if (entries.length > 1) {
      const dns = entries.map((entry) => entry.dn).join("; ");
      throw new LdapDirectoryError("ERR_LDAP_AMBIGUOUS", "search", `${what} matches ${dns}`);
    }
    const entry = entries[0]!;
    const classes = strings(values(entry, "objectClass"));
    const value = values(entry, INTERNAL_TLS_CERT_ATTRIBUTE) ?? [];
    const hasValue = Buffer.isBuffer(value) || (Array.isArray(value) && value.length > 0);
    // The attribute came back: the account may read it, whatever an ACL does to objectClass
    // (slapd can hide objectClass alone); only an entry with neither is AD's "cannot read".
    if (classes.length === 0 && !hasValue) {
      // R4: AD's answer to an account that may not read the object (see the top).
      throw new LdapDirectoryError(
        "ERR_LDAP_ACCESS",
        "search",
        `${this.#account()} cannot read ${INTERNAL_TLS_CERT_ATTRIBUTE} on ${entry.dn} (the directory returned the object without any attribute, not even objectClass): grant Read on the object and the attribute, or run as an account that can`,
      );
    }
    if (
      objectClass !== undefined &&
      classes.length > 0 &&
      !classes.some((name) => name.toLowerCase() === objectClass.toLowerCase())
    ) {
      throw new LdapDirectoryError(
        "ERR_LDAP_WRONG_OBJECT_CLASS",
        "search",
        `${entry.dn} is a ${classes.at(-1)} (objectClass ${classes.join(", ")}), not a ${objectClass}: serverDN must name the server object`,
      );
    }
    if (Buffer.isBuffer(value)) return new Uint8Array(value); // a copy, not a view on ldapts' buffer
    if (Array.isArray(value) && value.length === 0) {
      if (this.#options.missingAttribute === "error") {
        throw new LdapDirectoryError(
          "ERR_LDAP_NO_ATTRIBUTE",
          "search",
          `${entry.dn} has no ${INTERNAL_TLS_CERT_ATTRIBUTE}, or ${this.#account()} may not read it (a deny on the attribute, or a confidential attribute, looks the same as an unset one)`,
        );
      }
      return null;
    }
    if (Array.isArray(value) && value.length > 1) {
      throw new LdapDirectoryError(
        "ERR_LDAP_AMBIGUOUS",
        "search",
        `${entry.dn} has ${value.length} values of ${INTERNAL_TLS_CERT_ATTRIBUTE}`,
      );
    }
    throw new LdapDirectoryError(
      "ERR_LDAP_OPERATION",
      "search",
      `${entry.dn}: the server returned ${INTERNAL_TLS_CERT_ATTRIBUTE} as text, not bytes`,
    );
  }
}
