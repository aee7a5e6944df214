// The receiving side of anonymous TLS on smtp-server: an SMTP receiver that lists X-ANONYMOUSTLS
// when the inbound selection (I1–I4) yields a certificate it can put on a socket, and negotiates
// TLS with it on the command. Q&A:
// Q: how is the selection run?
// A: with the prepared selector (createSelector): once at start-up (phase "startup", R5/I2), then
//    at every plaintext EHLO (phase "session"), reading the directory and listing the store each
//    time (a change is seen by the next EHLO), replaying the decision when nothing moved.
// Q: the secure context?
// A: one per decision (contexts.ts), shared by every session that gets that decision.
// Q: what does a session's failure do to the others?
// A: nothing. hook.ts ends that session and reports it to onError with its identity; the
//    SMTPServer never emits an unhandled 'error' (that used to end the whole process).
// Q: STARTTLS?
// A: smtp-server's own, with the key/cert of the `smtp` options; without them STARTTLS is turned
//    off (smtp-server would otherwise present its built-in certificate, whose key is public).
import type { AddressInfo } from "node:net";
import type { SecureVersion, TLSSocket } from "node:tls";

import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";

import { createSelector } from "../../exchange/selector.js";
import type {
  CertificateInput,
  CertStore,
  Directory,
  ExchangeEvent,
  ExpiryWarning,
  ReceiveConnector,
  Selected,
  Selection,
} from "../../types.js";
import { type PeerCertificate, peerCertificateChain } from "../tls.js";
import { SecureContextCache } from "./contexts.js";
import { identityOf, ReceiverError } from "./errors.js";
import { installAnonymousTls, type Offer } from "./hook.js";

/** A session that completed X-ANONYMOUSTLS: what this side presented and what the sender did. */
export interface AnonymousTlsSession {
  readonly session: SMTPServerSession;
  /** The inbound selection whose certificate this server presented. */
  readonly selection: Selected;
  /** The sender's certificate (null if it sent none): compare it with the one you trust. */
  readonly peerThumbprint: string | null;
  readonly peerChain: readonly PeerCertificate[];
  /** The negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string | null;
}

/** Why an EHLO did or did not list X-ANONYMOUSTLS. */
export interface EhloDecision {
  readonly session: SMTPServerSession;
  /** The EHLO argument (the client's name for itself), as sent. */
  readonly ehlo: string;
  readonly selection: Selection;
  readonly offered: boolean;
  /**
   * Why not, when not offered: the gate's failed conditions, the selection's reason, or
   * "no-private-key-material" / "private-key-unusable" (A9: only a usable key is offered).
   */
  readonly reason?: string;
}

/** The inbound selection's inputs (I1–I4), prepared once by the receiver. */
export interface ReceiverSelectionOptions {
  /** The Receive connector the sessions arrive on (I1). */
  readonly receiveConnector: ReceiveConnector;
  /** Where msExchServerInternalTLSCert is read (I2), at every EHLO. */
  readonly directory: Directory;
  /** The local computer's store (I3), listed at every EHLO. */
  readonly store: CertStore;
  /** Used to send the validated chain's intermediates with the certificate. */
  readonly trustAnchors?: readonly CertificateInput[];
  readonly intermediates?: readonly CertificateInput[];
  /** See createSelector. */
  readonly detectInPlaceChanges?: boolean;
  readonly expiryWarning?: ExpiryWarning;
  /** A4: the evaluation time, fixed or read per EHLO. Default: the wall clock at each EHLO. */
  readonly now?: Date | (() => Date);
}

/** Options of `createAnonymousTlsServer`. */
export interface AnonymousTlsServerOptions {
  readonly selection: ReceiverSelectionOptions;
  /** smtp-server options: name, the STARTTLS key/cert, size, handlers, socketTimeout… */
  readonly smtp?: SMTPServerOptions;
  /** Lowest TLS version of the anonymous TLS handshake. Default "TLSv1.2". */
  readonly minVersion?: SecureVersion;
  /** Milliseconds from the 220 to a completed handshake. Default 10,000. */
  readonly handshakeTimeout?: number;
  /**
   * Connections held at once (also smtp-server's maxClients). A new connection beyond it closes
   * the oldest one that has not greeted yet. Default 1,000.
   */
  readonly maxConnections?: number;
  /** Called at every EHLO with whether X-ANONYMOUSTLS was offered, and why not. */
  readonly onEhlo?: (decision: EhloDecision) => void;
  /** Called when an X-ANONYMOUSTLS handshake completes, with the sender's certificate. */
  readonly onAnonymousTls?: (session: AnonymousTlsSession) => void;
  /** Each event of each session's selection (frozen), with its session (null at start-up). */
  readonly onEvent?: (event: ExchangeEvent, session: SMTPServerSession | null) => void;
  /** Every error of a session or of the server: a {@link ReceiverError}. Never thrown. */
  readonly onError?: (error: ReceiverError) => void;
}

/** A receiver made by `createAnonymousTlsServer`: not listening until `listen` is called. */
export interface AnonymousTlsServer {
  readonly smtp: SMTPServer;
  /** The selection at transport start-up (R5/I2: 12012 is logged only then). */
  readonly startup: Selection;
  /** Secure contexts built so far (one per decision): for tests and monitoring. */
  contextsBuilt(): number;
  /** Starts listening (default: a free port on 127.0.0.1); resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections; resolves when the server has closed. */
  close(): Promise<void>;
}

const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
const DEFAULT_MAX_CONNECTIONS = 1_000;

/**
 * Creates (does not start) the receiver. Rejects for misuse found at start-up: an unknown
 * AuthMechanism name, a trust anchor that does not parse.
 */
export async function createAnonymousTlsServer(
  options: AnonymousTlsServerOptions,
): Promise<AnonymousTlsServer> {
  const { selection: input } = options;
  const selector = createSelector({
    store: input.store,
    ...(input.trustAnchors === undefined ? {} : { trustAnchors: input.trustAnchors }),
    ...(input.intermediates === undefined ? {} : { intermediates: input.intermediates }),
    ...(input.detectInPlaceChanges === undefined
      ? {}
      : { detectInPlaceChanges: input.detectInPlaceChanges }),
  });
  const nowOf = (): Date => {
    const now = input.now;
    return now === undefined ? new Date() : typeof now === "function" ? now() : now;
  };
  const report = (error: ReceiverError) => {
    try {
      options.onError?.(error);
    } catch {
      // onError is the last resort; what it throws goes nowhere.
    }
  };
  // A callback that throws is reported with the session it was called for (the start-up
  // selection's events have none); the session itself goes on.
  const guarded =
    <A extends unknown[]>(
      name: string,
      callback: ((...args: A) => void) | undefined,
      sessionOf: (...args: A) => SMTPServerSession | null,
    ) =>
    (...args: A) => {
      try {
        callback?.(...args);
      } catch (error) {
        const session = sessionOf(...args);
        report(
          new ReceiverError(
            "ERR_SESSION_CALLBACK",
            session === null ? null : identityOf(session),
            `${name} threw`,
            { cause: error },
          ),
        );
      }
    };
  const onEvent = guarded("onEvent", options.onEvent, (_event, session) => session);
  const onEhlo = guarded("onEhlo", options.onEhlo, (decision) => decision.session);
  const onAnonymousTls = guarded(
    "onAnonymousTls",
    options.onAnonymousTls,
    (session) => session.session,
  );

  const select = (phase: "startup" | "session", session: SMTPServerSession | null) =>
    selector.selectInbound({
      receiveConnector: input.receiveConnector,
      directory: input.directory,
      now: nowOf(),
      phase,
      ...(input.expiryWarning === undefined ? {} : { expiryWarning: input.expiryWarning }),
      onEvent: (event) => onEvent(event, session),
    });

  // Misuse (an unknown AuthMechanism name…) rejects here, at start-up, not at the first EHLO.
  const startup = await select("startup", null);
  const contexts = new SecureContextCache(options.minVersion ?? "TLSv1.2");
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const smtpOptions = options.smtp ?? {};
  const hasOwnCertificate = smtpOptions.key !== undefined && smtpOptions.cert !== undefined;
  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    maxClients: maxConnections,
    ...smtpOptions,
    disabledCommands: [
      ...(smtpOptions.disabledCommands ?? ["AUTH"]),
      ...(hasOwnCertificate ? [] : ["STARTTLS"]),
    ],
  });

  installAnonymousTls(
    smtp,
    {
      async offer(session, ehlo) {
        const selection = await select("session", session);
        if (selection.outcome !== "selected") {
          const reason =
            selection.outcome === "not-attempted"
              ? `gate ${selection.failed.join(", ")} not met`
              : selection.reason;
          onEhlo({ session, ehlo, selection, offered: false, reason });
          return null;
        }
        const built = contexts.get(selection);
        if (!built.ok) {
          // No key material is a normal outcome (A9); a key TLS refuses is worth hearing of.
          if (built.first && built.reason === "private-key-unusable") {
            report(
              new ReceiverError(
                "ERR_SESSION_SELECTION",
                identityOf(session),
                `certificate ${selection.thumbprint} cannot be put on a socket: ${built.reason}`,
                { cause: built.error },
              ),
            );
          }
          onEhlo({ session, ehlo, selection, offered: false, reason: built.reason });
          return null;
        }
        onEhlo({ session, ehlo, selection, offered: true });
        const offer: Offer = { selection, secureContext: built.context };
        return offer;
      },
      onUpgraded(session, offer, socket: TLSSocket) {
        // Reading the peer's chain costs a certificate decode per element: only for a listener.
        if (options.onAnonymousTls === undefined) return;
        const peerChain = peerCertificateChain(socket);
        onAnonymousTls({
          session,
          selection: offer.selection,
          peerThumbprint: peerChain[0]?.thumbprint ?? null,
          peerChain,
          protocol: socket.getProtocol(),
        });
      },
      onError(error) {
        report(
          error instanceof ReceiverError
            ? error
            : new ReceiverError("ERR_SERVER", null, String(error), { cause: error }),
        );
      },
    },
    {
      handshakeTimeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      maxConnections,
    },
  );

  return {
    smtp,
    startup,
    contextsBuilt: () => contexts.built,
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
