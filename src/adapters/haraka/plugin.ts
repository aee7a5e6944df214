// X-ANONYMOUSTLS for Haraka (issue 14, item 6): a plugin that lists the keyword in the EHLO reply
// exactly when the inbound anonymous selection (I1–I4) chose a certificate whose key TLS can use,
// answers the command with 220 and upgrades the connection presenting that certificate. Q&A:
// Q: how is the selection run?
// A: with the prepared selector: once when the plugin is set up (phase "startup": I2's 12012 is
//    logged only then), then at every plaintext EHLO (phase "session"), reading the directory and
//    listing the store each time; its events go to Haraka's logger at their level.
// Q: how does the upgrade work?
// A: as Haraka's own STARTTLS does (tls_socket.js, `socket.upgrade`): Haraka's connection reads
//    from a pluggable stream over the TCP socket; the plugin detaches it, wraps the TCP socket in a
//    server TLSSocket with the decision's SecureContext, and attaches the stream to it. Haraka's
//    `upgrade()` itself cannot be used: it always presents tls.ini's certificate (certsByHost['*']),
//    and fails outright when tls.ini is absent.
// Q: what can a client do to Haraka?
// A: end its own connection, nothing more. Every TLS error (plaintext after the 220, a TLS 1.0
//    hello, garbage, a close mid-handshake) lands on a listener of ours, is logged, and ends that
//    connection; a handshake that does not finish in time is ended too. Haraka treats an
//    uncaught exception as fatal, so nothing here lets one escape: every hook catches and logs.
// Q: which of Haraka's internals does it rely on?
// A: the pluggable stream of tls_socket.js (`targetsocket`, `clean`, `attach`), the same that
//    Haraka's STARTTLS uses (Haraka 3.3.4 is tested). It is checked at every EHLO: a connection
//    without it (an SMTPS port, a changed Haraka) is not offered the keyword, and that is logged.
// Q: the TLS context?
// A: one per decision, shared by every connection that gets it (the smtp-server integration's
//    SecureContextCache): a store change that changes the decision builds a new one.
// Q: a directory or store that hangs?
// A: each EHLO waits at most until one second before Haraka's hook timeout (at most 25 s), then
//    answers without the keyword; Haraka never has to answer "plugin timeout" for us.
// Q: next to Haraka's `tls` plugin?
// A: both keywords in plaintext; inside either TLS session neither is listed, and STARTTLS inside
//    ours or X-ANONYMOUSTLS inside STARTTLS gets 503 (RFC 3207 §4.2), never a second handshake.
// Q: STARTTLS?
// A: left to Haraka's `tls` plugin (tls.ini / config/tls). That plugin builds its contexts inside
//    tls_socket.js (certsByHost, a private ctxByHost) and offers no per-connection hook to hand it
//    a certificate, so choosing it by S1–S9 would mean reaching into its internals.
import type { Socket } from "node:net";
import { type SecureContext, type SecureVersion, TLSSocket } from "node:tls";

import { createSelector } from "../../exchange/selector.js";
import type {
  AnonymousTlsSelection,
  CertificateInput,
  CertStore,
  Directory,
  DirectoryValue,
  Edition,
  ExchangeEvent,
  ExpiryWarning,
  ReceiveConnector,
  Selected,
  Selection,
} from "../../types.js";
import { offerOf, SecureContextCache } from "../smtp-server/contexts.js";
import { ANONYMOUS_TLS_KEYWORD } from "../tls.js";
import { type HarakaSettings, harakaConfigFolder, parseHarakaIni } from "./config.js";

// haraka-constants' return codes (stable since Haraka 2): the plugin must not require Haraka.
const CONT = 900;
const OK = 906;
const DENYSOFTDISCONNECT = 909;

/** Haraka's `next` callback of a hook. */
export type HarakaNext = (code?: number, message?: string) => void;

/** What the plugin uses of Haraka's plugin object (`this` in a hook). */
export interface HarakaPluginObject {
  /** The plugin's name, as listed in `config/plugins`. */
  readonly name: string;
  /** The hook timeout in seconds (`<name>.timeout`, default 30). */
  readonly timeout?: number;
  /** Haraka's configuration reader (`this.config`). */
  readonly config: {
    /** Reads `config/<file>` in the given format. */
    get(file: string, ...rest: unknown[]): unknown;
  };
  /** Registers `method` of the plugin for `hook`. */
  register_hook(hook: string, method: string, priority?: number): void;
  /** Logs at INFO. */
  loginfo(...args: unknown[]): void;
  /** Logs at NOTICE. */
  lognotice(...args: unknown[]): void;
  /** Logs at WARN. */
  logwarn(...args: unknown[]): void;
  /** Logs at ERROR. */
  logerror(...args: unknown[]): void;
  /** Logs at CRIT. */
  logcrit(...args: unknown[]): void;
}

/** What the plugin uses of Haraka's Connection. */
export interface HarakaConnection {
  /** The connection's id, for the log and errors. */
  readonly uuid?: string;
  /** The client's address. */
  readonly remote?: {
    /** Its IP address. */
    readonly ip?: string;
    /** Its port. */
    readonly port?: number;
  };
  /** Haraka's TLS state of the connection. */
  readonly tls?: {
    /** TLS is on. */
    readonly enabled?: boolean;
    /** STARTTLS was listed (Haraka's tls plugin); cleared after our own handshake. */
    advertised?: boolean;
  };
  /** The EHLO keywords Haraka will list. */
  capabilities?: string[] | null;
  /** Haraka's command buffer (pipelined input). */
  current_data?: unknown;
  /** The client socket (Haraka's pluggable stream). */
  readonly client?: unknown;
  /** Sends an SMTP reply. */
  respond(code: number, message: string, done?: () => void): void;
  /** Forgets the transaction, as after a TLS upgrade (RFC 3207 §4.2). */
  reset_transaction(done: () => void): void;
  /** Records the TLS session's facts on the connection. */
  setTLS(tls: {
    /** The negotiated cipher. */
    cipher?: unknown;
    /** Whether the peer's certificate verified. */
    verified?: boolean;
    /** Why it did not. */
    verifyError?: unknown;
    /** The peer's certificate. */
    peerCertificate?: unknown;
  }): void;
  /** Logs at INFO. */
  loginfo(...args: unknown[]): void;
  /** Logs at NOTICE. */
  lognotice(...args: unknown[]): void;
  /** Logs at WARN. */
  logwarn(...args: unknown[]): void;
  /** Logs at ERROR. */
  logerror(...args: unknown[]): void;
}

/** The selection's inputs when given in code rather than by the .ini. */
export interface HarakaSelectionOptions {
  /** The Receive connector the sessions arrive on: its AuthMechanism is I1's gate. */
  readonly receiveConnector: ReceiveConnector;
  /** Where msExchServerInternalTLSCert is read (I2), at every EHLO. */
  readonly directory: Directory;
  /** The local computer's store (I3), listed at every EHLO. */
  readonly store: CertStore;
  /** Used to send the validated chain's intermediates with the certificate. */
  readonly trustAnchors?: readonly CertificateInput[];
  readonly intermediates?: readonly CertificateInput[];
  /** E5: the inbound anonymous process is the same in both editions; results say which ran. */
  readonly edition?: Edition;
  readonly expiryWarning?: ExpiryWarning;
  /** A4: the evaluation time, fixed or read per EHLO. Default: the wall clock at each EHLO. */
  readonly now?: Date | (() => Date);
}

/** A completed X-ANONYMOUSTLS handshake. */
export interface HarakaAnonymousTlsSession {
  readonly connection: HarakaConnection;
  /** The inbound selection whose certificate was presented. */
  readonly selection: Selected;
  /** The sender's certificate (SHA-1, 40 upper-case hex digits), null if it sent none. */
  readonly peerThumbprint: string | null;
  /** The negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string | null;
}

/** Why an EHLO did or did not list X-ANONYMOUSTLS. */
export interface HarakaEhloDecision {
  readonly connection: HarakaConnection;
  readonly selection: Selection;
  readonly offered: boolean;
  /** Why not: "gate I1 not met", the selection's reason, or a key TLS cannot use (A9). */
  readonly reason?: string;
}

/** Options of {@link createHarakaPlugin}. */
export interface HarakaPluginOptions {
  /** The selection's inputs. Absent: read from `config/<plugin name>.ini` at `register`. */
  readonly selection?: HarakaSelectionOptions;
  /** Lowest TLS version of the handshake. Default "TLSv1.2". */
  readonly minVersion?: SecureVersion;
  /** Seconds from the 220 to a completed handshake. Default 10 (capped below the hook timeout). */
  readonly handshakeTimeout?: number;
  /** Every EHLO's decision (also logged). */
  readonly onEhlo?: (decision: HarakaEhloDecision) => void;
  /** Every completed handshake, with the sender's certificate: compare it with the one you trust. */
  readonly onAnonymousTls?: (session: HarakaAnonymousTlsSession) => void;
}

/** The hooks Haraka calls, with `this` the plugin object. */
export interface HarakaPluginHooks {
  /** Haraka calls it once at start-up: reads the .ini, prepares the selector, registers hooks. */
  register(this: HarakaPluginObject): void;
  /** The capabilities hook: lists X-ANONYMOUSTLS when the inbound selection (I1–I4) chose one. */
  exchange_anonymous_tls_capabilities(
    this: HarakaPluginObject,
    next: HarakaNext,
    connection: HarakaConnection,
  ): void;
  /** The unrecognized_command hook: answers X-ANONYMOUSTLS with 220 and the TLS handshake. */
  exchange_anonymous_tls_command(
    this: HarakaPluginObject,
    next: HarakaNext,
    connection: HarakaConnection,
    params: unknown,
  ): void;
  /** The helo and ehlo hooks: an earlier EHLO's offer is withdrawn until capabilities decide again. */
  exchange_anonymous_tls_helo(
    this: HarakaPluginObject,
    next: HarakaNext,
    connection: HarakaConnection,
  ): void;
  /** The disconnect hook: settles what is still pending for the connection (a handshake). */
  exchange_anonymous_tls_disconnect(
    this: HarakaPluginObject,
    next: HarakaNext,
    connection: HarakaConnection,
  ): void;
}

/** Haraka's pluggableStream (tls_socket.js): the stream a Connection reads from. */
interface PluggableStream {
  targetsocket: unknown;
  cleartext?: TLSSocket;
  _timeout?: number;
  _keepalive?: boolean;
  clean(): void;
  attach(socket: unknown): void;
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
}

function isPluggable(client: unknown): client is PluggableStream {
  if (typeof client !== "object" || client === null) return false;
  const c = client as Partial<PluggableStream>;
  const target = c.targetsocket as { encrypted?: unknown; destroy?: unknown } | undefined;
  return (
    typeof c.clean === "function" &&
    typeof c.attach === "function" &&
    typeof target === "object" &&
    target !== null &&
    typeof target.destroy === "function" &&
    // Already TLS (SMTPS port, or upgraded): no second handshake on top.
    !(target instanceof TLSSocket) &&
    target.encrypted !== true
  );
}

interface Prepared {
  readonly select: (
    phase: "startup" | "session",
    connection: HarakaConnection | null,
  ) => Promise<AnonymousTlsSelection>;
  readonly handshakeTimeout: number;
}

/** Per connection: the EHLO's offer, and the handshake in progress. */
interface ConnectionState {
  offer?: { readonly selection: Selected; readonly context: SecureContext } | undefined;
  pending?: ((disconnected: boolean) => void) | undefined;
  /** X-ANONYMOUSTLS completed on this connection. */
  upgraded?: boolean;
}

const DEFAULT_HANDSHAKE_TIMEOUT = 10;
const DEFAULT_SELECTION_TIMEOUT = 25;

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * The plugin's hooks. `options.selection` given: those inputs; absent: `config/<name>.ini` (a
 * snapshot and/or a folder store). The default export of `exchange-anonymous-tls/haraka` is
 * `createHarakaPlugin()`.
 */
export function createHarakaPlugin(options: HarakaPluginOptions = {}): HarakaPluginHooks {
  // Rebuilt at `register` with the .ini's min_version, which is read there.
  let contexts = new SecureContextCache(options.minVersion ?? "TLSv1.2");
  const states = new WeakMap<object, ConnectionState>();
  let prepared: Promise<Prepared | null> | null = null;
  let handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
  /** Seconds an EHLO waits for the selection (set below Haraka's hook timeout at register). */
  let selectionTimeout = DEFAULT_SELECTION_TIMEOUT;
  let plugin: HarakaPluginObject | null = null;

  const stateOf = (connection: HarakaConnection): ConnectionState => {
    let state = states.get(connection);
    if (state === undefined) {
      state = {};
      states.set(connection, state);
    }
    return state;
  };

  // A callback of the user's that throws is logged; the session goes on.
  const guarded = <A>(name: string, callback: ((arg: A) => void) | undefined, arg: A) => {
    try {
      callback?.(arg);
    } catch (error) {
      plugin?.logerror(`${name} threw: ${describe(error)}`);
    }
  };

  const logEvent = (event: ExchangeEvent, connection: HarakaConnection | null) => {
    const line = `event ${event.id} ${event.name} (${event.level}): ${event.message}`;
    const target = connection ?? plugin;
    if (target === null || plugin === null) return;
    const args = connection === null ? [line] : [plugin, line];
    if (event.level === "Error") target.logerror(...args);
    else if (event.level === "Warning") target.logwarn(...args);
    else target.loginfo(...args);
  };

  /** The .ini's settings, read synchronously so that a bad one stops Haraka at `register`. */
  function settingsOf(self: HarakaPluginObject): HarakaSettings | null {
    if (options.selection !== undefined) return null;
    const file = `${self.name}.ini`;
    const ini = self.config.get(file) as { main?: unknown } | undefined;
    return parseHarakaIni(file, ini?.main, harakaConfigFolder());
  }

  async function prepare(
    self: HarakaPluginObject,
    fromIni: HarakaSettings | null,
  ): Promise<Prepared> {
    const settings: HarakaSettings = fromIni ?? {};
    const input: HarakaSelectionOptions =
      fromIni === null && options.selection !== undefined
        ? options.selection
        : await inputsOf(settings);
    const selector = createSelector({
      store: input.store,
      ...(input.trustAnchors === undefined ? {} : { trustAnchors: input.trustAnchors }),
      ...(input.intermediates === undefined ? {} : { intermediates: input.intermediates }),
    });
    const pinned = settings.at;
    const nowOf = (): Date => {
      if (pinned !== undefined) return pinned;
      const now = input.now;
      return now === undefined ? new Date() : typeof now === "function" ? now() : now;
    };
    const edition = settings.edition ?? input.edition;
    const select = (phase: "startup" | "session", connection: HarakaConnection | null) =>
      selector.selectInbound({
        receiveConnector: input.receiveConnector,
        directory: input.directory,
        now: nowOf(),
        phase,
        ...(edition === undefined ? {} : { edition }),
        ...(input.expiryWarning === undefined ? {} : { expiryWarning: input.expiryWarning }),
        onEvent: (event) => logEvent(event, connection),
      });
    const requested =
      options.handshakeTimeout ?? settings.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    // Below Haraka's hook timeout, or Haraka answers "plugin timeout" mid-handshake.
    const hookTimeout =
      self.timeout !== undefined && self.timeout > 1 ? self.timeout - 1 : requested;
    return { select, handshakeTimeout: Math.min(requested, hookTimeout) };

    async function inputsOf(s: HarakaSettings): Promise<HarakaSelectionOptions> {
      let receiveConnector: ReceiveConnector = {
        authMechanism: s.authMechanism ?? "Tls, ExchangeServer",
      };
      let directoryValue: DirectoryValue = s.directory ?? null;
      let edition: Edition | undefined;
      let store: CertStore | undefined;
      let trustAnchors: readonly Uint8Array[] | undefined;
      let intermediates: readonly Uint8Array[] | undefined;
      if (s.snapshot !== undefined) {
        // Loaded only when named: the snapshot reader is the CLI's, and large.
        const { loadSnapshot } = await import("../../cli/snapshot.js");
        const snapshot = await loadSnapshot(s.snapshot, { direction: "inbound" });
        if (snapshot.receiveConnector !== undefined) {
          receiveConnector = {
            ...snapshot.receiveConnector,
            ...(s.authMechanism === undefined ? {} : { authMechanism: s.authMechanism }),
          };
        }
        directoryValue = snapshot.directory;
        edition = snapshot.edition;
        const entries = snapshot.store.map((e) => e.entry);
        store = { list: async () => entries };
        trustAnchors = snapshot.trustAnchors;
        intermediates = snapshot.intermediates;
      }
      if (s.store !== undefined) {
        const { createFolderStore } = await import("../folder-store.js");
        store = createFolderStore(s.store);
      }
      if (store === undefined) throw new Error("unreachable: parseHarakaIni requires a store");
      const value = directoryValue;
      return {
        receiveConnector,
        directory: { readInternalTransportCertificate: async () => value },
        store,
        ...(trustAnchors === undefined ? {} : { trustAnchors }),
        ...(intermediates === undefined ? {} : { intermediates }),
        ...(edition === undefined ? {} : { edition }),
      };
    }
  }

  /** The selection for one EHLO and its shared context, or why there is none. */
  async function decide(
    connection: HarakaConnection,
  ): Promise<HarakaEhloDecision & { context?: SecureContext }> {
    const ready = await prepared;
    if (ready === null || ready === undefined) throw new Error("the plugin is not set up");
    const selection = await ready.select("session", connection);
    const offer = offerOf(contexts, selection);
    if (!offer.offered) {
      if (offer.unusableKey !== undefined) {
        connection.logerror(
          plugin,
          `certificate ${offer.unusableKey.thumbprint} cannot be put on a socket: ${describe(offer.unusableKey.error)}`,
        );
      }
      return { connection, selection, offered: false, reason: offer.reason };
    }
    return { connection, selection, offered: true, context: offer.context };
  }

  const hooks: HarakaPluginHooks = {
    register(this: HarakaPluginObject) {
      plugin = this;
      // Below Haraka's hook timeout (default 30 s), so that our "not offered" answers first.
      if (this.timeout !== undefined && this.timeout > 1) {
        selectionTimeout = Math.min(DEFAULT_SELECTION_TIMEOUT, this.timeout - 1);
      }
      // The .ini is read now (a bad one stops Haraka with the reason); the snapshot is read in
      // the background and the first EHLO waits for it (not for the start-up selection, whose
      // directory read may hang: each EHLO has its own deadline for its own).
      const settings = settingsOf(this);
      contexts = new SecureContextCache(settings?.minVersion ?? options.minVersion ?? "TLSv1.2");
      const setup = prepare(this, settings);
      prepared = setup.then(
        (ready) => {
          handshakeTimeout = ready.handshakeTimeout;
          return ready;
        },
        (error: unknown) => {
          // A snapshot that cannot be read: logged loudly; X-ANONYMOUSTLS is never offered.
          this.logcrit(`cannot set up X-ANONYMOUSTLS, it will not be offered: ${describe(error)}`);
          return null;
        },
      );
      // R5/I2: 12012 is logged only by this selection, the transport's start-up one.
      prepared
        .then(async (ready) => {
          if (ready === null) return;
          const startup = await ready.select("startup", null);
          this.loginfo(
            startup.outcome === "selected"
              ? `start-up selection: X-ANONYMOUSTLS with ${startup.thumbprint}`
              : `start-up selection: no X-ANONYMOUSTLS (${startup.outcome === "not-attempted" ? `gate ${startup.failed.join(", ")} not met` : startup.reason})`,
          );
        })
        .catch((error: unknown) => {
          this.logerror(`start-up selection failed: ${describe(error)}`);
        });
      this.register_hook("capabilities", "exchange_anonymous_tls_capabilities");
      // HELO lists no extensions: an earlier EHLO's offer no longer stands (as in the smtp-server
      // receiver), nor does one whose EHLO another plugin refused.
      this.register_hook("helo", "exchange_anonymous_tls_helo");
      this.register_hook("ehlo", "exchange_anonymous_tls_helo");
      this.register_hook("unrecognized_command", "exchange_anonymous_tls_command");
      this.register_hook("disconnect", "exchange_anonymous_tls_disconnect");
    },

    exchange_anonymous_tls_capabilities(this: HarakaPluginObject, next, connection) {
      const state = stateOf(connection);
      state.offer = undefined;
      // Inside TLS the keyword is gone (as in Exchange): no second handshake.
      if (connection.tls?.enabled === true) {
        next();
        return;
      }
      if (!isPluggable(connection.client)) {
        connection.logwarn(
          this,
          "X-ANONYMOUSTLS not offered: this connection has no plaintext socket to upgrade",
        );
        next();
        return;
      }
      // Answered once: by the decision, or by our deadline when the directory or the store hangs
      // (an LDAP read that never returns). It is below Haraka's hook timeout, so Haraka never
      // answers for us; a decision that arrives later is dropped, never offered after the reply.
      let answered = false;
      const answer = () => {
        answered = true;
        clearTimeout(deadline);
        next();
      };
      const deadline = setTimeout(() => {
        if (answered) return;
        connection.logwarn(
          this,
          `X-ANONYMOUSTLS not offered: the selection did not finish within ${selectionTimeout} s`,
        );
        answer();
      }, selectionTimeout * 1000);
      decide(connection)
        .then(
          (decision) => {
            if (answered) return;
            if (
              decision.offered &&
              decision.context !== undefined &&
              decision.selection.outcome === "selected"
            ) {
              state.offer = {
                selection: decision.selection as Selected,
                context: decision.context,
              };
              connection.capabilities?.push(ANONYMOUS_TLS_KEYWORD);
              connection.loginfo(
                this,
                `X-ANONYMOUSTLS offered, certificate ${state.offer.selection.thumbprint}`,
              );
            } else {
              connection.loginfo(
                this,
                `X-ANONYMOUSTLS not offered (${decision.reason ?? "unknown"})`,
              );
            }
            guarded("onEhlo", options.onEhlo, {
              connection: decision.connection,
              selection: decision.selection,
              offered: decision.offered,
              ...(decision.reason === undefined ? {} : { reason: decision.reason }),
            });
            answer();
          },
          (error: unknown) => {
            if (answered) return;
            connection.logerror(
              this,
              `X-ANONYMOUSTLS not offered, the selection failed: ${describe(error)}`,
            );
            answer();
          },
        )
        // Haraka ends the process on an unhandled rejection: nothing may escape this chain.
        .catch((error: unknown) => {
          plugin?.logerror(`capabilities hook: ${describe(error)}`);
        });
    },

    exchange_anonymous_tls_command(this: HarakaPluginObject, next, connection, params) {
      try {
        const words = Array.isArray(params) ? params : [];
        const verb = typeof words[0] === "string" ? words[0].toUpperCase() : "";
        const state = stateOf(connection);
        if (verb === "STARTTLS" && state.upgraded === true) {
          // Inside our TLS: RFC 3207 §4.2's 503, never a second handshake on top of this one.
          connection.respond(503, "5.5.1 Bad sequence of commands: TLS already active");
          next(OK);
          return;
        }
        if (verb !== ANONYMOUS_TLS_KEYWORD) {
          next();
          return;
        }
        if (connection.tls?.enabled === true) {
          connection.respond(503, "5.5.1 Bad sequence of commands: TLS already active");
          next(OK);
          return;
        }
        const offer = state.offer;
        if (offer === undefined || state.pending !== undefined) {
          next(); // not listed in this session's EHLO: Haraka's 500 Unrecognized command
          return;
        }
        const rest = typeof words[1] === "string" ? words[1].trim() : "";
        if (rest.length > 0) {
          connection.respond(501, `5.5.4 Syntax: ${ANONYMOUS_TLS_KEYWORD}`);
          next(OK);
          return;
        }
        upgrade(this, connection, state, offer, next);
      } catch (error) {
        connection.logerror(this, `X-ANONYMOUSTLS failed: ${describe(error)}`);
        next(DENYSOFTDISCONNECT, "4.3.0 X-ANONYMOUSTLS failed");
      }
    },

    exchange_anonymous_tls_helo(this: HarakaPluginObject, next, connection) {
      const state = states.get(connection);
      if (state !== undefined) state.offer = undefined;
      next();
    },

    exchange_anonymous_tls_disconnect(this: HarakaPluginObject, next, connection) {
      try {
        states.get(connection)?.pending?.(true);
      } catch (error) {
        connection.logerror(this, `disconnect: ${describe(error)}`);
      }
      next(CONT);
    },
  };

  function upgrade(
    self: HarakaPluginObject,
    connection: HarakaConnection,
    state: ConnectionState,
    offer: NonNullable<ConnectionState["offer"]>,
    next: HarakaNext,
  ): void {
    const client = connection.client as PluggableStream;
    const tcp = client.targetsocket as Socket;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number, message?: string) => {
      if (finished) return;
      finished = true;
      state.pending = undefined;
      if (timer !== undefined) clearTimeout(timer);
      next(code, message);
    };
    const remote = `${connection.remote?.ip ?? "?"}:${connection.remote?.port ?? "?"}`;
    state.offer = undefined;
    state.pending = (disconnected) => {
      if (!disconnected) return;
      connection.loginfo(self, `X-ANONYMOUSTLS: ${remote} closed the connection mid-handshake`);
      finish(DENYSOFTDISCONNECT, "4.4.2 connection closed during the TLS handshake");
    };

    // RFC 3207 §5 (and Haraka's tls plugin): plaintext pipelined after the command is dropped,
    // never run as commands; whatever arrives after the 220 is the TLS socket's to judge.
    connection.current_data = null;
    connection.respond(220, "2.0.0 Ready to start anonymous TLS");

    client.clean();
    tcp.removeAllListeners("data");
    // The TCP socket's own errors surface on the TLS socket; this keeps them from being unhandled.
    const swallow = () => {};
    tcp.on("error", swallow);
    tcp.once("close", () => tcp.removeListener("error", swallow));

    const cleartext = new TLSSocket(tcp, {
      isServer: true,
      secureContext: offer.context,
      // I4: the sender presents its own certificate; it is reported, not verified here.
      requestCert: true,
      rejectUnauthorized: false,
    });
    cleartext.on("error", (error: Error) => {
      if (!finished) {
        connection.loginfo(
          self,
          `X-ANONYMOUSTLS handshake failed from ${remote}: ${describe(error)}`,
        );
      }
      cleartext.destroy();
      // Haraka's connection ends on the error (its pluggable stream forwards the first one).
      finish(DENYSOFTDISCONNECT, "4.7.0 TLS handshake failed");
    });
    cleartext.once("secure", () => {
      if (finished) return;
      let protocol: string | null = null;
      let peerThumbprint: string | null = null;
      let cipher: ({ version?: string | null } & Record<string, unknown>) | undefined;
      let peerCertificate: unknown;
      try {
        protocol = cleartext.getProtocol();
        const peer = cleartext.getPeerX509Certificate();
        peerThumbprint =
          peer === undefined ? null : peer.fingerprint.replaceAll(":", "").toUpperCase();
        cipher = { ...cleartext.getCipher(), version: protocol };
        peerCertificate = cleartext.getPeerCertificate();
      } catch (error) {
        connection.logwarn(self, `X-ANONYMOUSTLS: cannot read the session: ${describe(error)}`);
      }
      connection.loginfo(
        self,
        `X-ANONYMOUSTLS ${protocol ?? "?"}: presented ${offer.selection.thumbprint}, peer ${peerThumbprint ?? "none"}`,
      );
      if (timer !== undefined) clearTimeout(timer);
      try {
        connection.reset_transaction(() => {
          state.upgraded = true;
          try {
            // Haraka's tls plugin listed STARTTLS in the plaintext EHLO and would act on it
            // inside this TLS session; it checks `advertised` first.
            if (connection.tls !== undefined) connection.tls.advertised = false;
            connection.setTLS({
              cipher,
              verified: cleartext.authorized,
              verifyError: cleartext.authorizationError,
              peerCertificate,
            });
          } catch (error) {
            connection.logerror(self, `X-ANONYMOUSTLS: setTLS failed: ${describe(error)}`);
          }
          guarded("onAnonymousTls", options.onAnonymousTls, {
            connection,
            selection: offer.selection,
            peerThumbprint,
            protocol,
          });
          finish(OK);
        });
      } catch (error) {
        connection.logerror(self, `X-ANONYMOUSTLS: ${describe(error)}`);
        cleartext.destroy();
        finish(DENYSOFTDISCONNECT);
      }
    });
    client.cleartext = cleartext;
    if (client._timeout) cleartext.setTimeout(client._timeout);
    cleartext.setKeepAlive(client._keepalive === true);
    client.attach(cleartext);

    timer = setTimeout(() => {
      connection.loginfo(
        self,
        `X-ANONYMOUSTLS: no handshake within ${handshakeTimeout} s from ${remote}`,
      );
      cleartext.destroy();
      finish(DENYSOFTDISCONNECT, "4.4.2 TLS handshake timeout");
    }, handshakeTimeout * 1000);
    timer.unref();
  }

  return hooks;
}
