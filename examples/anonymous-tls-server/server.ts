// The receiving side of an anonymous-TLS SMTP session, on smtp-server (pinned 3.21.6).
// - At start-up and at each EHLO the server runs the inbound selection (I1–I4). It lists
//   X-ANONYMOUSTLS only when that selection yields a certificate whose private key it has
//   (toTlsOptions; A9: a certificate without its key is never offered).
// - On X-ANONYMOUSTLS it answers 220 and negotiates TLS as the server with that certificate (and
//   the intermediates of its validated path), asking for the client's certificate without
//   verifying it: direct trust compares thumbprints afterwards (see onAnonymousTls).
// - STARTTLS is smtp-server's own and keeps its own certificate (the `smtp` options' key/cert).
//
// smtp-server has no option for custom EHLO keywords or commands, so `installAnonymousTls` below
// extends each connection in one place, through internals typed narrowly by `Hookable*`.
// test/tls/smtp-server-hook.test.ts fails when an upgrade of the package moves any of them.
import type { AddressInfo, Socket } from "node:net";
import { createSecureContext, type SecureContext, type TLSSocket } from "node:tls";

import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";

import {
  type InboundSelectionOptions,
  NoPrivateKeyError,
  type Selected,
  type Selection,
  selectInboundAnonymousTlsCert,
} from "../../src/index.js";
import {
  ANONYMOUS_TLS_KEYWORD,
  type PeerCertificate,
  peerCertificateChain,
  toTlsOptions,
} from "../../src/tls.js";

// ---------------------------------------------------------------------------------------------
// The server

/** A session that completed X-ANONYMOUSTLS: what this side presented and what the sender did. */
export interface AnonymousTlsSession {
  readonly session: SMTPServerSession;
  /** The inbound selection whose certificate this server presented. */
  readonly selection: Selected;
  /** The sender's certificate (null if it sent none): compare it with the one you trust. */
  readonly peerThumbprint: string | null;
  readonly peerChain: readonly PeerCertificate[];
  readonly protocol: string | null;
}

/** Why an EHLO did or did not list X-ANONYMOUSTLS. */
export interface EhloDecision {
  readonly session: SMTPServerSession;
  readonly selection: Selection;
  readonly offered: boolean;
  /** Why not, when not offered. */
  readonly reason?: string;
}

export interface AnonymousTlsServerOptions {
  /** The inbound selection's inputs (I1–I4). `phase` is set by the server: "startup", then "session". */
  readonly selection: Omit<InboundSelectionOptions, "phase">;
  /** smtp-server options: name, the STARTTLS key/cert, size, handlers… */
  readonly smtp?: SMTPServerOptions;
  readonly onEhlo?: (decision: EhloDecision) => void;
  readonly onAnonymousTls?: (session: AnonymousTlsSession) => void;
  /** A selection that threw (misuse) or a hook that failed; the EHLO then omits the keyword. */
  readonly onError?: (error: unknown) => void;
}

export interface AnonymousTlsServer {
  readonly smtp: SMTPServer;
  /** The selection at transport start-up (R5/I2: 12012 is logged only then). */
  readonly startup: Selection;
  listen(port?: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

export async function createAnonymousTlsServer(
  options: AnonymousTlsServerOptions,
): Promise<AnonymousTlsServer> {
  // Misuse (an unknown AuthMechanism name…) throws here, at start-up, not at the first EHLO.
  const startup = await selectInboundAnonymousTlsCert({ ...options.selection, phase: "startup" });
  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    disabledCommands: ["AUTH"],
    ...options.smtp,
  });
  installAnonymousTls(smtp, {
    async offer(session) {
      const selection = await selectInboundAnonymousTlsCert({
        ...options.selection,
        phase: "session",
      });
      const decision = offerFor(selection);
      options.onEhlo?.({ session, selection, ...decision.report });
      return decision.offer;
    },
    onUpgraded(session, offer, socket) {
      const peerChain = peerCertificateChain(socket);
      options.onAnonymousTls?.({
        session,
        selection: offer.selection,
        peerThumbprint: peerChain[0]?.thumbprint ?? null,
        peerChain,
        protocol: socket.getProtocol(),
      });
    },
    onError(error) {
      options.onError?.(error);
    },
  });
  return {
    smtp,
    startup,
    listen(port = 0, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        smtp.server.once("error", reject);
        smtp.listen(port, host, () => {
          smtp.server.off("error", reject);
          resolve(smtp.server.address() as AddressInfo);
        });
      });
    },
    close() {
      return new Promise((resolve) => smtp.close(() => resolve()));
    },
  };
}

function offerFor(selection: Selection): {
  offer: Offer | null;
  report: { offered: boolean; reason?: string };
} {
  if (selection.outcome !== "selected") {
    const why =
      selection.outcome === "not-attempted"
        ? `gate ${selection.failed.join(", ")} not met`
        : selection.reason;
    return { offer: null, report: { offered: false, reason: why } };
  }
  try {
    const secureContext = createSecureContext(toTlsOptions(selection));
    return { offer: { selection, secureContext }, report: { offered: true } };
  } catch (error) {
    // A9: the store has the certificate but no key material we can put on a socket.
    if (error instanceof NoPrivateKeyError) {
      return { offer: null, report: { offered: false, reason: "no-private-key-material" } };
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The one extension point into smtp-server

/** What a connection offers after its EHLO: the selection and a secure context made from it. */
export interface Offer {
  readonly selection: Selected;
  readonly secureContext: SecureContext;
}

export interface AnonymousTlsHooks {
  /** Decides at each plaintext EHLO; null omits the keyword. */
  offer(session: SMTPServerSession): Promise<Offer | null>;
  /** Called once the handshake completed (and smtp-server's onSecure accepted it). */
  onUpgraded(session: SMTPServerSession, offer: Offer, socket: TLSSocket): void;
  onError(error: unknown): void;
}

type CommandHandler = (command: Buffer, callback: () => void) => void;
type SendReply = (code: number, data?: string | string[] | null, context?: string | false) => void;

/**
 * The smtp-server 3.21 internals used here, and nothing else. The server: `connections` (a Set
 * every connection is added to by `connect()` before `init()` reads from its socket). The
 * connection: `handler_<COMMAND>` methods (`_getHandler` dispatches by that name, so a handler
 * added to one connection is a command on that connection only), `handler_EHLO` (answers with one
 * `send(250, lines)`), `send`, `secure`, `session`, `upgrade()` (STARTTLS's upgrade, which takes
 * its TLS socket options from `createTLSSocketOptions(this._server)`), `_server` and `_socket`.
 */
interface HookableConnection {
  _server: HookableServer;
  readonly _socket: Socket | TLSSocket;
  readonly secure: boolean;
  readonly session: SMTPServerSession;
  send: SendReply;
  handler_EHLO: CommandHandler;
  upgrade(callback: () => void, secureCallback?: () => void): void;
  [handler: `handler_${string}`]: CommandHandler | undefined;
}

interface HookableServer {
  readonly connections: Set<HookableConnection>;
  readonly secureContext: Map<string, SecureContext>;
  readonly options: object;
  _resolveSNI(
    servername: string,
    callback: (error: Error | null, context?: SecureContext) => void,
  ): void;
}

const HANDLER = `handler_${ANONYMOUS_TLS_KEYWORD}` as const;

/** Throws when the installed smtp-server lacks an internal this file relies on. */
export function assertSmtpServerHooks(server: SMTPServer): void {
  const missing: string[] = [];
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
  for (const name of ["handler_EHLO", "handler_STARTTLS", "send", "upgrade", "_getHandler"]) {
    if (typeof proto[name] !== "function") missing.push(`SMTPConnection#${name}`);
  }
  const candidate = server as unknown as Partial<Record<keyof HookableServer, unknown>>;
  if (!(candidate.connections instanceof Set)) missing.push("SMTPServer#connections (a Set)");
  if (!(candidate.secureContext instanceof Map)) missing.push("SMTPServer#secureContext (a Map)");
  if (typeof candidate._resolveSNI !== "function") missing.push("SMTPServer#_resolveSNI");
  if (missing.length > 0) {
    throw new Error(`smtp-server lacks what the anonymous-TLS hook uses: ${missing.join(", ")}`);
  }
}

/** Adds X-ANONYMOUSTLS to every connection of `server` (see the header comment). */
export function installAnonymousTls(server: SMTPServer, hooks: AnonymousTlsHooks): void {
  assertSmtpServerHooks(server);
  // The narrow view above; assertSmtpServerHooks checked its shape.
  const connections = (server as unknown as HookableServer).connections;
  const add = connections.add;
  connections.add = function (this: Set<HookableConnection>, connection: HookableConnection) {
    extendConnection(connection, hooks);
    return add.call(this, connection);
  };
}

function extendConnection(connection: HookableConnection, hooks: AnonymousTlsHooks): void {
  const ehlo = connection.handler_EHLO;

  // EHLO: decide (I1–I4), then let smtp-server answer, adding the keyword to its 250 lines.
  connection.handler_EHLO = (command, callback) => {
    void (async () => {
      delete connection[HANDLER];
      let offer: Offer | null = null;
      // Once the session is TLS (anonymous or STARTTLS), there is nothing left to offer.
      if (!connection.secure) {
        try {
          offer = await hooks.offer(connection.session);
        } catch (error) {
          hooks.onError(error);
        }
      }
      const send = connection.send;
      if (offer !== null) {
        const offered = offer;
        connection.send = (code, data, context) => {
          // The command exists on this connection only once the keyword went out in a 250.
          if (code === 250 && Array.isArray(data)) {
            connection[HANDLER] = anonymousTlsHandler(connection, offered, hooks);
            send.call(connection, code, [...data, ANONYMOUS_TLS_KEYWORD], context);
          } else {
            send.call(connection, code, data, context);
          }
        };
      }
      try {
        ehlo.call(connection, command, callback);
      } catch (error) {
        // smtp-server catches a handler's synchronous throw; this one runs after an await.
        hooks.onError(error);
        send.call(connection, 451, "Error: internal server error");
        callback();
      } finally {
        connection.send = send;
      }
    })();
  };
}

function anonymousTlsHandler(
  connection: HookableConnection,
  offer: Offer,
  hooks: AnonymousTlsHooks,
): CommandHandler {
  return (command, callback) => {
    if (command.toString().trim().split(/\s+/).length > 1) {
      connection.send(501, `Error: syntax: ${ANONYMOUS_TLS_KEYWORD}`);
      return callback();
    }
    if (connection.secure) {
      connection.send(503, "Error: TLS already active");
      return callback();
    }
    connection.send(220, "Ready to start anonymous TLS");
    // upgrade() is what STARTTLS runs: it retires the plaintext parser (no command injection),
    // times the handshake, resets the session (RFC 3207 §4.2) and resumes on the TLS socket.
    // It builds `new tls.TLSSocket(socket, { isServer: true, secureContext, SNICallback,
    // requestCert, rejectUnauthorized })` from `this._server`, synchronously. For that one call
    // `_server` is a view of the server that answers with the selected certificate (also to SNI)
    // and asks for the client's certificate without verifying it (direct trust).
    const server = connection._server;
    connection._server = anonymousTlsServerView(server, offer.secureContext);
    try {
      connection.upgrade(callback, () => {
        try {
          hooks.onUpgraded(connection.session, offer, connection._socket as TLSSocket);
        } catch (error) {
          hooks.onError(error);
        }
      });
    } finally {
      connection._server = server;
    }
  };
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
