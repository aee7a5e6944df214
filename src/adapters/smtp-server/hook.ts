// The one place where this package reaches into smtp-server (pinned 3.21.6). smtp-server has no
// option for custom EHLO keywords or commands, and reports every session's error on the
// SMTPServer itself (an 'error' event nobody listens to ends the process). This module extends
// each connection as it is registered:
// - EHLO runs `offer` first and adds X-ANONYMOUSTLS to the 250 lines when it returned an offer;
//   the command exists on that connection only after that (I1–I4 decided it may be offered);
// - X-ANONYMOUSTLS answers 220 and runs smtp-server's own STARTTLS upgrade with a view of the
//   server that presents the offer's secure context and asks for (without verifying) the client's
//   certificate: direct trust compares thumbprints afterwards (R7/I4);
// - with `offerStartTls` (STARTTLS by selection, S1–S9), STARTTLS exists on a connection only
//   while the last plaintext EHLO's offer stands: smtp-server lists it (its own EHLO code asks
//   whether the connection has a STARTTLS handler) and the handshake presents the offer's secure
//   context; without an offer STARTTLS is neither listed nor accepted ("500 command not
//   recognized", smtp-server's answer to any unknown command). Without `offerStartTls`,
//   smtp-server's own STARTTLS (its key/cert) is left as it is;
// - every error of the session (socket, TLS, parser) is reported to `onError` with the session's
//   identity, and the session is closed; the handshake has its own deadline;
// - with `maxConnections`, a new connection beyond the limit displaces the oldest one that has
//   not said EHLO/HELO yet (idle connections cannot lock real senders out); when every held
//   connection has greeted, smtp-server's own `maxClients` refuses the newcomer with 421.
// test/tls/smtp-server-hook.test.ts and test/smtp-server/internals.test.ts fail when an upgrade
// of smtp-server moves an internal used here.
import type { Socket } from "node:net";
import type { SecureContext, TLSSocket } from "node:tls";

import type { SMTPServer, SMTPServerSession } from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import type { InboundStartTlsSelected, Selected } from "../../types.js";
import { ANONYMOUS_TLS_KEYWORD, type PeerCertificate, peerCertificateChain } from "../tls.js";
import { identityOf, ReceiverError, type ReceiverErrorCode } from "./errors.js";

/** What a connection offers after its EHLO: the selection and its secure context. */
export interface Offer {
  readonly selection: Selected;
  readonly secureContext: SecureContext;
}

/** What a connection's STARTTLS presents after its EHLO: the STARTTLS selection and its context. */
export interface StartTlsOffer {
  readonly selection: InboundStartTlsSelected;
  readonly secureContext: SecureContext;
}

/**
 * What the TLS socket said when its handshake completed. It is read at the socket's `'secure'`
 * event, not later: smtp-server calls back only after its `onSecure` ran (a turn of the event
 * loop at least), and a client that sends QUIT and closes at once has by then taken the socket,
 * its protocol and its peer certificate with it.
 */
export interface Handshake {
  /** The negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string | null;
  /** The client's chain, leaf first (empty when it sent none, or when not read: `peerChain`). */
  readonly peerChain: readonly PeerCertificate[];
}

/** What {@link installAnonymousTls} calls. */
export interface AnonymousTlsHooks {
  /**
   * Decides at each plaintext EHLO; null omits the keyword. `ehlo` is the EHLO argument as the
   * client sent it (at most 255 characters; smtp-server checks it only afterwards).
   */
  offer(session: SMTPServerSession, ehlo: string): Promise<Offer | null>;
  /**
   * Called once the handshake completed and smtp-server's onSecure accepted it, even if the
   * client has closed since; `handshake` was read when it completed.
   */
  onUpgraded(
    session: SMTPServerSession,
    offer: Offer,
    socket: TLSSocket,
    handshake: Handshake,
  ): void;
  /**
   * STARTTLS by selection (S1–S9): decides at each plaintext EHLO, after `offer`; null neither
   * lists nor accepts STARTTLS on this connection. Absent: smtp-server's own STARTTLS, untouched.
   */
  offerStartTls?(session: SMTPServerSession, ehlo: string): Promise<StartTlsOffer | null>;
  /** Like `onUpgraded`, for a STARTTLS handshake of an offer. */
  onStartTls?(
    session: SMTPServerSession,
    offer: StartTlsOffer,
    socket: TLSSocket,
    handshake: Handshake,
  ): void;
  /**
   * Whether `Handshake.peerChain` is read (a certificate decode per element, on every handshake).
   * Default true.
   */
  readonly peerChain?: boolean;
  /**
   * Every error of a session (a {@link ReceiverError} with the session's identity), and of the
   * server (`ERR_SERVER`, session null). What it throws is dropped.
   */
  onError(error: unknown, session?: SMTPServerSession): void;
}

/** Bounds of {@link installAnonymousTls}. */
export interface HookLimits {
  /**
   * Milliseconds from the 220 to a completed TLS handshake (X-ANONYMOUSTLS, and STARTTLS by
   * selection). Default: no deadline of ours.
   */
  readonly handshakeTimeout?: number;
  /** Connections held at once; beyond it the oldest not-yet-greeted one is closed (421). */
  readonly maxConnections?: number;
}

type CommandHandler = (command: Buffer, callback: () => void) => void;
type SendReply = (code: number, data?: string | string[] | null, context?: string | false) => void;

/** smtp-server's command parser, as far as it is used here: it emits 'error'. */
interface HookableParser {
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * The smtp-server 3.21 internals used here, and nothing else. The server: `connections` (a Set
 * every connection is added to by `connect()` before `init()` reads from its socket). The
 * connection: `handler_<COMMAND>` methods (`_getHandler` dispatches by that name, so a handler
 * added to one connection is a command on that connection only), `handler_EHLO`/`handler_HELO`,
 * `send` (421 also closes), `close`, `secure`, `session`, `upgrade()` (STARTTLS's upgrade, which
 * takes its TLS socket options from `createTLSSocketOptions(this._server)`), `_server`, `_socket`,
 * `_parser` (made in the constructor) and `_createParser` (called again by upgrade()).
 */
interface HookableConnection {
  _server: HookableServer;
  readonly _socket: Socket | TLSSocket;
  readonly _parser: HookableParser | false;
  _createParser: () => HookableParser;
  readonly secure: boolean;
  readonly session: SMTPServerSession;
  send: SendReply;
  close(): void;
  on(event: "error", listener: (error: Error) => void): unknown;
  handler_EHLO: CommandHandler;
  handler_HELO: CommandHandler;
  upgrade(callback: () => void, secureCallback?: () => void): void;
  [handler: `handler_${string}`]: CommandHandler | undefined;
}

interface HookableServer {
  readonly connections: Set<HookableConnection>;
  /**
   * Called by the TLS socket's 'secure' listener (upgrade()), synchronously, with that socket;
   * the upgrade's secureCallback runs only after its callback.
   */
  onSecure(
    socket: TLSSocket,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): void;
  readonly secureContext: Map<string, SecureContext>;
  readonly options: object;
  _resolveSNI(
    servername: string,
    callback: (error: Error | null, context?: SecureContext) => void,
  ): void;
}

const HANDLER = `handler_${ANONYMOUS_TLS_KEYWORD}` as const;
/**
 * smtp-server's own STARTTLS handler is on the prototype; an own property of `undefined` hides it
 * from one connection (`_getHandler` finds nothing, so `_isSupported` is false: not listed in the
 * EHLO, answered as an unknown command).
 */
const STARTTLS_HANDLER = "handler_STARTTLS" as const;

/** Throws when the installed smtp-server lacks an internal this module relies on. */
export function assertSmtpServerHooks(server: SMTPServer): void {
  const missing: string[] = [];
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
  for (const name of [
    "handler_EHLO",
    "handler_HELO",
    "handler_STARTTLS",
    "send",
    "close",
    "upgrade",
    "_getHandler",
    "_createParser",
  ]) {
    if (typeof proto[name] !== "function") missing.push(`SMTPConnection#${name}`);
  }
  const candidate = server as unknown as Partial<Record<keyof HookableServer, unknown>>;
  if (!(candidate.connections instanceof Set)) missing.push("SMTPServer#connections (a Set)");
  if (!(candidate.secureContext instanceof Map)) missing.push("SMTPServer#secureContext (a Map)");
  if (typeof candidate._resolveSNI !== "function") missing.push("SMTPServer#_resolveSNI");
  if (typeof candidate.onSecure !== "function") missing.push("SMTPServer#onSecure");
  if (missing.length > 0) {
    throw new Error(`smtp-server lacks what the anonymous-TLS hook uses: ${missing.join(", ")}`);
  }
}

/** Per connection: has it greeted (EHLO/HELO), and is a handshake of ours running. */
interface ConnectionState {
  greeted: boolean;
  /** A TLS failure of this connection was reported; later echoes of it are not. */
  tlsReported: boolean;
  /**
   * This connection's plaintext decisions, made at its first EHLO and reused by later ones: one
   * SMTP session is one decision (a store change is seen by the next connection), and a client
   * that repeats EHLO cannot make the server list its store and read its directory each time.
   */
  decided?: { readonly offer: Offer | null; readonly startTlsOffer: StartTlsOffer | null };
}

/** Adds X-ANONYMOUSTLS and per-session error handling to every connection of `server`. */
export function installAnonymousTls(
  server: SMTPServer,
  hooks: AnonymousTlsHooks,
  limits: HookLimits = {},
): void {
  assertSmtpServerHooks(server);
  // The narrow view above; assertSmtpServerHooks checked its shape.
  const hookable = server as unknown as HookableServer;
  const connections = hookable.connections;
  const states = new WeakMap<HookableConnection, ConnectionState>();
  // Errors already reported with their session: the server re-emits each one.
  const routed = new WeakSet<object>();
  const report = safeReport(hooks);
  const views = new WeakMap<SecureContext, HookableServer>();
  const viewFor = (context: SecureContext): HookableServer => {
    let view = views.get(context);
    if (view === undefined) {
      view = anonymousTlsServerView(hookable, context);
      views.set(context, view);
    }
    return view;
  };

  // A handshake of ours, by session: read at 'secure' (onSecure is called from that event), told
  // to the hooks once onSecure accepted it. smtp-server's own STARTTLS and implicit TLS have none.
  const secured: Secured = new WeakMap();
  const onSecure = hookable.onSecure;
  hookable.onSecure = function (this: HookableServer, socket, session, callback) {
    const waiter = secured.get(session);
    if (waiter === undefined) return onSecure.call(this, socket, session, callback);
    secured.delete(session);
    const accepted = waiter(socket);
    return onSecure.call(this, socket, session, (error) => {
      if (!error) accepted();
      callback(error);
    });
  };

  const add = connections.add;
  connections.add = function (this: Set<HookableConnection>, connection: HookableConnection) {
    if (limits.maxConnections !== undefined && this.size >= limits.maxConnections) {
      displaceIdle(this, states);
    }
    const state: ConnectionState = { greeted: false, tlsReported: false };
    states.set(connection, state);
    extendConnection(connection, state, hooks, report, viewFor, routed, limits, secured);
    return add.call(this, connection);
  };

  // Registered after connect()'s own per-connection listener, which re-emits on the server: the
  // per-session report has happened by then. What is left is the server's own (listen) errors.
  server.on("error", (error: unknown) => {
    if (typeof error === "object" && error !== null && routed.has(error)) return;
    report(new ReceiverError("ERR_SERVER", null, messageOf(error), { cause: error }), undefined);
  });
}

function safeReport(hooks: AnonymousTlsHooks) {
  return (error: ReceiverError, session: SMTPServerSession | undefined): void => {
    try {
      hooks.onError(error, session);
    } catch {
      // onError is the last resort: what it throws has nowhere to go and must not end the process.
    }
  };
}

/** Closes the oldest connection that has not greeted yet, if there is one. */
function displaceIdle(
  connections: Set<HookableConnection>,
  states: WeakMap<HookableConnection, ConnectionState>,
): void {
  for (const candidate of connections) {
    if (states.get(candidate)?.greeted === true) continue;
    // 421 (RFC 5321 §3.8) tells a real client to come back later; send() closes on 421.
    candidate.send(421, "Too many connections, closing an idle one");
    candidate._socket.destroy();
    connections.delete(candidate);
    return;
  }
}

type Report = ReturnType<typeof safeReport>;
/** Reads the handshake off the socket at 'secure'; returns what to call once onSecure accepted. */
type Secured = WeakMap<SMTPServerSession, (socket: TLSSocket) => () => void>;

function extendConnection(
  connection: HookableConnection,
  state: ConnectionState,
  hooks: AnonymousTlsHooks,
  report: Report,
  viewFor: (context: SecureContext) => HookableServer,
  routed: WeakSet<object>,
  limits: HookLimits,
  secured: Secured,
): void {
  const readPeerChain = hooks.peerChain !== false;
  const reportSession = (code: ReceiverErrorCode, message: string, cause: unknown) => {
    // Before the greeting smtp-server's session holds only its id: the socket has the address.
    const { session, _socket: socket } = connection;
    const identity = identityOf({
      id: session.id,
      remoteAddress: session.remoteAddress || socket.remoteAddress || "",
      remotePort: session.remotePort || socket.remotePort || 0,
    });
    report(new ReceiverError(code, identity, message, { cause }), session);
  };
  const endSession = () => {
    if (!connection._socket.destroyed) connection._socket.destroy();
  };

  // Socket and TLS errors: smtp-server emits them on the connection, then re-emits on the server.
  connection.on("error", (error) => {
    routed.add(error);
    const tls = isTlsError(error);
    if (!(tls && state.tlsReported)) {
      if (tls) state.tlsReported = true;
      reportSession(tls ? "ERR_SESSION_TLS" : "ERR_SESSION_SOCKET", error.message, error);
    }
    endSession();
  });

  // Parser errors (a line beyond maxCommandLength…): smtp-server answers 421 and closes; we report.
  const watch = (parser: HookableParser | false) => {
    if (parser === false) return;
    parser.on("error", (error) => {
      reportSession("ERR_SESSION_PROTOCOL", error.message, error);
    });
  };
  watch(connection._parser);
  const createParser = connection._createParser;
  connection._createParser = function (this: HookableConnection) {
    const parser = createParser.call(this);
    watch(parser);
    return parser;
  };

  const ehlo = connection.handler_EHLO;
  const helo = connection.handler_HELO;
  const byOffer = hooks.offerStartTls !== undefined;
  // Until an EHLO's STARTTLS selection offers it, this connection has no STARTTLS.
  if (byOffer) connection[STARTTLS_HANDLER] = undefined;
  connection.handler_HELO = (command, callback) => {
    state.greeted = true;
    delete connection[HANDLER];
    // HELO lists no extensions: nothing was offered (RFC 3207 §4: STARTTLS is an EHLO keyword).
    if (byOffer && !connection.secure) connection[STARTTLS_HANDLER] = undefined;
    helo.call(connection, command, callback);
  };

  // EHLO: decide (I1–I4), then let smtp-server answer, adding the keyword to its 250 lines.
  connection.handler_EHLO = (command, callback) => {
    state.greeted = true;
    void (async () => {
      delete connection[HANDLER];
      let offer: Offer | null = null;
      let startTlsOffer: StartTlsOffer | null = null;
      // Once the session is TLS (anonymous or STARTTLS), there is nothing left to offer; a
      // STARTTLS handler installed in plaintext stays, and answers 503 inside TLS.
      const plaintext = !connection.secure;
      if (plaintext && state.decided !== undefined) {
        ({ offer, startTlsOffer } = state.decided);
        if (hooks.offerStartTls !== undefined) {
          connection[STARTTLS_HANDLER] =
            startTlsOffer === null ? undefined : startTlsHandler(connection, startTlsOffer, state);
        }
      } else if (plaintext) {
        const name = command.toString("latin1").slice(4).trim().slice(0, 255);
        try {
          offer = await hooks.offer(connection.session, name);
        } catch (error) {
          reportSession("ERR_SESSION_SELECTION", messageOf(error), error);
        }
        if (hooks.offerStartTls !== undefined) {
          try {
            startTlsOffer = await hooks.offerStartTls(connection.session, name);
          } catch (error) {
            reportSession("ERR_SESSION_SELECTION", messageOf(error), error);
          }
          // Listed by smtp-server's own EHLO code exactly when the connection has a handler.
          connection[STARTTLS_HANDLER] =
            startTlsOffer === null ? undefined : startTlsHandler(connection, startTlsOffer, state);
        }
        state.decided = { offer, startTlsOffer };
      }
      const send = connection.send;
      if (offer !== null || startTlsOffer !== null) {
        const offered = offer;
        connection.send = (code, data, context) => {
          if (code === 250 && Array.isArray(data)) {
            if (offered === null) return send.call(connection, code, data, context);
            // The command exists on this connection only once the keyword went out in a 250.
            connection[HANDLER] = anonymousTlsHandler(connection, offered, state);
            send.call(connection, code, [...data, ANONYMOUS_TLS_KEYWORD], context);
          } else {
            // A refused EHLO (501) offered nothing: STARTTLS is not accepted either.
            if (byOffer && code >= 400) connection[STARTTLS_HANDLER] = undefined;
            send.call(connection, code, data, context);
          }
        };
      }
      try {
        ehlo.call(connection, command, callback);
      } catch (error) {
        // smtp-server catches a handler's synchronous throw; this one runs after an await.
        reportSession("ERR_SESSION_CALLBACK", messageOf(error), error);
        send.call(connection, 421, "Error: internal server error");
        callback();
      } finally {
        connection.send = send;
      }
    })();
  };

  function anonymousTlsHandler(
    conn: HookableConnection,
    offer: Offer,
    st: ConnectionState,
  ): CommandHandler {
    return (command, callback) => {
      if (command.toString().trim().split(/\s+/).length > 1) {
        conn.send(501, `Error: syntax: ${ANONYMOUS_TLS_KEYWORD}`);
        return callback();
      }
      if (conn.secure) {
        // RFC 3207 §4.2 by analogy: a second TLS negotiation on one session is refused.
        conn.send(503, "Error: TLS already active");
        return callback();
      }
      conn.send(220, "Ready to start anonymous TLS");
      upgradeWith(conn, st, offer.secureContext, "anonymous TLS", callback, (socket, handshake) =>
        hooks.onUpgraded(conn.session, offer, socket, handshake),
      );
    };
  }

  // smtp-server's handler_STARTTLS (the same replies), with the offer's context on the socket.
  function startTlsHandler(
    conn: HookableConnection,
    offer: StartTlsOffer,
    st: ConnectionState,
  ): CommandHandler {
    return (command, callback) => {
      // RFC 3207 §4: STARTTLS takes no parameters.
      if (command.toString().trim().split(/\s+/).length > 1) {
        conn.send(501, "Error: syntax: STARTTLS");
        return callback();
      }
      if (conn.secure) {
        // RFC 3207 §4.2: no second negotiation (after STARTTLS or X-ANONYMOUSTLS alike).
        conn.send(503, "Error: TLS already active");
        return callback();
      }
      conn.send(220, "Ready to start TLS");
      upgradeWith(conn, st, offer.secureContext, "STARTTLS", callback, (socket, handshake) =>
        hooks.onStartTls?.(conn.session, offer, socket, handshake),
      );
    };
  }

  /**
   * The TLS handshake after a 220, presenting `context`: smtp-server's own upgrade() (which
   * retires the plaintext parser, so nothing pipelined after the command runs inside TLS, RFC
   * 3207 §5; and resets the session, §4.2), with our deadline and our report of a client that
   * closes mid-handshake.
   */
  function upgradeWith(
    conn: HookableConnection,
    st: ConnectionState,
    context: SecureContext,
    what: string,
    callback: () => void,
    onSecure: (socket: TLSSocket, handshake: Handshake) => void,
  ): void {
    // upgrade() builds `new tls.TLSSocket(socket, createTLSSocketOptions(this._server))`
    // synchronously, so for that one call `_server` is the view that presents `context`.
    const raw = conn._socket;
    const server = conn._server;
    let done = false;
    const timer =
      limits.handshakeTimeout === undefined
        ? undefined
        : setTimeout(() => {
            if (done) return;
            done = true;
            st.tlsReported = true;
            reportSession(
              "ERR_SESSION_HANDSHAKE_TIMEOUT",
              `no TLS handshake within ${limits.handshakeTimeout} ms of the 220 to ${what}`,
              undefined,
            );
            raw.destroy();
          }, limits.handshakeTimeout);
    timer?.unref();
    secured.set(conn.session, (socket) => {
      done = true;
      clearTimeout(timer);
      // Inside smtp-server's 'secure' listener: nothing may throw out of here (it would end the
      // process), whatever the peer's certificate holds.
      let handshake: Handshake;
      try {
        handshake = {
          protocol: socket.getProtocol(),
          peerChain: readPeerChain ? peerCertificateChain(socket) : [],
        };
      } catch {
        handshake = { protocol: null, peerChain: [] };
      }
      return () => {
        try {
          onSecure(socket, handshake);
        } catch (error) {
          reportSession("ERR_SESSION_CALLBACK", messageOf(error), error);
        }
      };
    });
    conn._server = viewFor(context);
    try {
      conn.upgrade(callback);
    } finally {
      conn._server = server;
    }
    // A client that closes mid-handshake without a TLS alert: smtp-server sees only 'close'.
    raw.once("close", () => {
      clearTimeout(timer);
      if (done || st.tlsReported) return;
      done = true;
      st.tlsReported = true;
      reportSession(
        "ERR_SESSION_TLS",
        `the connection closed during the ${what} handshake`,
        undefined,
      );
    });
  }
}

/** smtp-server's normalizeTLSError marks handshake failures with `meta.protocol` "smtp". */
function isTlsError(error: Error): boolean {
  const meta = (error as { meta?: { protocol?: unknown; stage?: unknown } }).meta;
  if (meta?.protocol === "smtp" && meta.stage === "connect") return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ERR_SSL_");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A view of the server for `createTLSSocketOptions`: the selected certificate for every name (SNI
 * included), and the client's certificate requested but not verified (direct trust). Everything
 * else is read through to the server itself.
 */
export function anonymousTlsServerView<T extends Pick<HookableServer, "options">>(
  server: T,
  secureContext: SecureContext,
): T {
  const resolveSni: HookableServer["_resolveSNI"] = (_name, callback) =>
    callback(null, secureContext);
  return Object.create(server, {
    secureContext: { value: new Map([["*", secureContext]]) },
    _resolveSNI: { value: resolveSni },
    options: {
      value: Object.assign(Object.create(server.options) as object, {
        requestCert: true,
        rejectUnauthorized: false,
      }),
    },
  }) as T;
}
