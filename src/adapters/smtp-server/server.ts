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
// A: by the inbound STARTTLS selection (S1–S9, E3, E4), through the same prepared selector, at
//    the same plaintext EHLO: listed exactly when it chose a certificate whose key TLS can use,
//    and the handshake presents that certificate and its chain (its own SecureContext per
//    decision, from the same cache). Not listed: no STARTTLS (smtp-server's answer to an unknown
//    command); never smtp-server's built-in certificate, whose key is public. The older way,
//    `smtp.key`/`smtp.cert`, still works: smtp-server presents that certificate and no STARTTLS
//    selection runs.
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import type { SecureContext, SecureVersion } from "node:tls";

import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from "smtp-server";

import { createSelector } from "../../exchange/selector.js";
import type {
  CertificateInput,
  CertStore,
  Directory,
  Edition,
  ExchangeEvent,
  ExpiryWarning,
  InboundStartTlsSelected,
  InboundStartTlsSelection,
  ReceiveConnector,
  Selected,
  Selection,
} from "../../types.js";
import type { PeerCertificate } from "../tls.js";
import { type ContextDecision, offerOf, SecureContextCache } from "./contexts.js";
import { identityOf, ReceiverError } from "./errors.js";
import { installAnonymousTls, type StartTlsOffer } from "./hook.js";

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

/** A session that completed a STARTTLS handshake presenting the STARTTLS selection's certificate. */
export interface StartTlsSession {
  readonly session: SMTPServerSession;
  /** The inbound STARTTLS selection (S6) whose certificate this server presented. */
  readonly selection: InboundStartTlsSelected;
  /** The client's certificate (asked for, not verified); null if it sent none. */
  readonly peerThumbprint: string | null;
  readonly peerChain: readonly PeerCertificate[];
  /** The negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string | null;
}

/** Why an EHLO did or did not list STARTTLS (the inbound STARTTLS selection, S1–S9). */
export interface StartTlsDecision {
  readonly session: SMTPServerSession;
  /** The EHLO argument, as sent. */
  readonly ehlo: string;
  readonly selection: InboundStartTlsSelection;
  readonly offered: boolean;
  /**
   * Why not, when not offered: "gate S1 not met", the selection's reason (S3, S5, S7), or
   * "no-private-key-material" / "private-key-unusable" (a certificate TLS cannot present).
   */
  readonly reason?: string;
}

/** The inbound selections' inputs (I1–I4; S1–S9 for STARTTLS), prepared once by the receiver. */
export interface ReceiverSelectionOptions {
  /**
   * The Receive connector the sessions arrive on: its AuthMechanism (I1, S1), and for STARTTLS
   * its Fqdn (S2), TlsCertificateName (E3, 2016 edition) and name (in 12014's text).
   */
  readonly receiveConnector: ReceiveConnector;
  /**
   * S2: the server's physical FQDN, the name STARTTLS looks for when the connector has no Fqdn
   * (nor, 2016 edition, TlsCertificateName). Default: `smtp.name`, else this host's name.
   */
  readonly server?: { readonly physicalFqdn: string };
  /** Which Exchange's process runs (E1–E6): "2007" (default) or "2016". */
  readonly edition?: Edition;
  /** A5 for STARTTLS's name match: a wildcard in the left-most label. Default false. */
  readonly wildcardNames?: boolean;
  /** Where msExchServerInternalTLSCert is read (I2), at every EHLO. */
  readonly directory: Directory;
  /** The local computer's store (I3), listed at every EHLO. */
  readonly store: CertStore;
  /** Used to send the validated chain's intermediates with the certificate. */
  readonly trustAnchors?: readonly CertificateInput[];
  readonly intermediates?: readonly CertificateInput[];
  /** See createSelector. */
  readonly detectInPlaceChanges?: boolean;
  /** Warn of a certificate that expires within this window (12017 anonymous, 12018 STARTTLS). */
  readonly expiryWarning?: ExpiryWarning;
  /** A4: the evaluation time, fixed or read per EHLO. Default: the wall clock at each EHLO. */
  readonly now?: Date | (() => Date);
}

/** Whether a start-up selection's certificate can be offered, and why not (as in an EHLO decision). */
export interface StartupOffer {
  readonly offered: boolean;
  /**
   * Why not: the gate's failed conditions, the selection's reason, or "no-private-key-material" /
   * "private-key-unusable".
   */
  readonly reason?: string;
}

/** Options of `createAnonymousTlsServer`. */
export interface AnonymousTlsServerOptions {
  readonly selection: ReceiverSelectionOptions;
  /**
   * smtp-server options: name, size, handlers, socketTimeout… A `key` and `cert` given here make
   * STARTTLS present that certificate instead of the STARTTLS selection's (no selection runs).
   */
  readonly smtp?: SMTPServerOptions;
  /**
   * STARTTLS by the inbound STARTTLS selection (S1–S9). true (default): listed at an EHLO exactly
   * when the selection chose a certificate with a usable key, presenting it; false: never listed.
   * Ignored when `smtp.key` and `smtp.cert` are given; `smtp.hideSTARTTLS` or STARTTLS in
   * `smtp.disabledCommands` mean false.
   */
  readonly startTls?: boolean;
  /** Lowest TLS version of the handshakes (X-ANONYMOUSTLS, STARTTLS). Default "TLSv1.2". */
  readonly minVersion?: SecureVersion;
  /** Milliseconds from the 220 to a completed handshake. Default 10,000. */
  readonly handshakeTimeout?: number;
  /**
   * Milliseconds an EHLO's selections may wait for the directory and the store. A read that
   * takes longer counts as "cannot be read" (R4, A16): the EHLO is answered without the keyword,
   * so a directory or store that hangs never leaves a client waiting (smtp-server applies no idle
   * timeout while a handler is pending). Default 5,000.
   */
  readonly selectionTimeout?: number;
  /**
   * Connections held at once (also smtp-server's maxClients, which, given alone in `smtp`, is
   * taken as this). A new connection beyond it closes the oldest one that has not greeted yet.
   * Default 1,000.
   */
  readonly maxConnections?: number;
  /** Called at every EHLO with whether X-ANONYMOUSTLS was offered, and why not. */
  readonly onEhlo?: (decision: EhloDecision) => void;
  /** Called when an X-ANONYMOUSTLS handshake completes, with the sender's certificate. */
  readonly onAnonymousTls?: (session: AnonymousTlsSession) => void;
  /** Called at every plaintext EHLO with whether STARTTLS was listed, and why not (S1–S9). */
  readonly onStartTlsDecision?: (decision: StartTlsDecision) => void;
  /** Called when a STARTTLS handshake of the selection's certificate completes. */
  readonly onStartTls?: (session: StartTlsSession) => void;
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
  /**
   * The STARTTLS selection at start-up (S1–S9); null when STARTTLS is not selected (`startTls`
   * false, or `smtp.key`/`smtp.cert` given).
   */
  readonly startupStartTls: InboundStartTlsSelection | null;
  /**
   * Whether `startup`'s certificate can be put on a socket, and why not: a selected certificate
   * whose key the store does not hold ("no-private-key-material", e.g. a snapshot exported
   * without keys) or whose key TLS refuses ("private-key-unusable") is never offered (A9), and
   * an EHLO under the same store would not list X-ANONYMOUSTLS either.
   */
  readonly startupOffer: StartupOffer;
  /** The same for `startupStartTls` (null when that is null). */
  readonly startupStartTlsOffer: StartupOffer | null;
  /** Secure contexts built so far (one per decision): for tests and monitoring. */
  contextsBuilt(): number;
  /** Starts listening (default: a free port on 127.0.0.1); resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections; resolves when the server has closed. */
  close(): Promise<void>;
}

const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
const DEFAULT_SELECTION_TIMEOUT = 5_000;
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
  const onStartTlsDecision = guarded(
    "onStartTlsDecision",
    options.onStartTlsDecision,
    (decision) => decision.session,
  );
  const onStartTls = guarded("onStartTls", options.onStartTls, (session) => session.session);

  const selectionTimeout = options.selectionTimeout ?? DEFAULT_SELECTION_TIMEOUT;
  if (!(Number.isFinite(selectionTimeout) && selectionTimeout > 0)) {
    throw new TypeError("selectionTimeout must be a positive number of milliseconds");
  }
  const select = (phase: "startup" | "session", session: SMTPServerSession | null) =>
    selector.selectInbound({
      receiveConnector: input.receiveConnector,
      directory: input.directory,
      now: nowOf(),
      phase,
      signal: AbortSignal.timeout(selectionTimeout),
      // E5: the inbound anonymous process is the same in both editions; the result says which.
      ...(input.edition === undefined ? {} : { edition: input.edition }),
      ...(input.expiryWarning === undefined ? {} : { expiryWarning: input.expiryWarning }),
      onEvent: (event) => onEvent(event, session),
    });

  const smtpOptions = options.smtp ?? {};
  const hasOwnCertificate = smtpOptions.key !== undefined && smtpOptions.cert !== undefined;
  // Implicit TLS (port 465 style) without a certificate would present smtp-server's built-in
  // one, whose private key is public: misuse, not a configuration to run with.
  if ((smtpOptions.secure === true || smtpOptions.needsUpgrade === true) && !hasOwnCertificate) {
    throw new TypeError(
      "smtp.secure/needsUpgrade need smtp.key and smtp.cert: without them smtp-server presents its built-in certificate, whose key is public",
    );
  }
  // smtp-server's own ways of turning STARTTLS off count as `startTls: false`: nothing is then
  // selected for it, or reported as offered.
  const startTlsOffInSmtp =
    smtpOptions.hideSTARTTLS === true ||
    (smtpOptions.disabledCommands ?? []).some((command) => command.toUpperCase() === "STARTTLS");
  const bySelection = !hasOwnCertificate && options.startTls !== false && !startTlsOffInSmtp;
  const physicalFqdn = input.server?.physicalFqdn ?? smtpOptions.name ?? hostname();
  const selectStartTls = (phase: "startup" | "session", session: SMTPServerSession | null) =>
    selector.selectInboundStartTls({
      receiveConnector: input.receiveConnector,
      server: { physicalFqdn },
      now: nowOf(),
      phase,
      signal: AbortSignal.timeout(selectionTimeout),
      ...(input.edition === undefined ? {} : { edition: input.edition }),
      ...(input.wildcardNames === undefined ? {} : { wildcardNames: input.wildcardNames }),
      ...(input.expiryWarning === undefined ? {} : { expiryWarning: input.expiryWarning }),
      onEvent: (event) => onEvent(event, session),
    });

  // Misuse (an unknown AuthMechanism name, a TlsCertificateName in the 2007 edition…) rejects
  // here, at start-up, not at the first EHLO.
  const startup = await select("startup", null);
  const startupStartTls = bySelection ? await selectStartTls("startup", null) : null;
  const contexts = new SecureContextCache(options.minVersion ?? "TLSv1.2");
  // One bound for both: smtp-server's maxClients, given alone, is taken as maxConnections.
  const maxConnections =
    options.maxConnections ?? smtpOptions.maxClients ?? DEFAULT_MAX_CONNECTIONS;
  const smtp = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    ...smtpOptions,
    maxClients: maxConnections,
    disabledCommands: [
      ...(smtpOptions.disabledCommands ?? ["AUTH"]),
      // Without a certificate of its own and without the selection, smtp-server would present
      // its built-in certificate: STARTTLS is off. By selection, hook.ts gives it per connection.
      ...(hasOwnCertificate || bySelection ? [] : ["STARTTLS"]),
    ],
  });

  /**
   * One EHLO's offer, for either process (X-ANONYMOUSTLS or STARTTLS): the certificate the
   * selection chose, on its shared TLS context, or why not (reported through `decided`).
   */
  function offerFor<S extends Selection>(
    selection: S,
    session: SMTPServerSession | null,
    label: string,
    decided: (decision: { readonly offered: boolean; readonly reason?: string }) => void,
  ): { selection: Extract<S, ContextDecision>; secureContext: SecureContext } | null {
    const offer = offerOf(contexts, selection);
    if (!offer.offered) {
      if (offer.unusableKey !== undefined) {
        report(
          new ReceiverError(
            "ERR_SESSION_SELECTION",
            session === null ? null : identityOf(session),
            `${label}certificate ${offer.unusableKey.thumbprint} cannot be put on a socket: ${offer.reason}`,
            { cause: offer.unusableKey.error },
          ),
        );
      }
      decided({ offered: false, reason: offer.reason });
      return null;
    }
    decided({ offered: true });
    return { selection: offer.selection, secureContext: offer.context };
  }

  // The start-up selections' certificates, put on their contexts now (the first EHLO then finds
  // them built): a certificate selected without a usable key is selected but never offered, and
  // whoever starts the server should hear that before the first client does.
  const offerAtStartup = (selection: Selection, label: string): StartupOffer => {
    let decision: StartupOffer = { offered: false };
    offerFor(selection, null, label, (decided) => {
      decision = decided;
    });
    return decision;
  };
  const startupOffer = offerAtStartup(startup, "");
  const startupStartTlsOffer =
    startupStartTls === null ? null : offerAtStartup(startupStartTls, "STARTTLS ");

  installAnonymousTls(
    smtp,
    {
      async offer(session, ehlo) {
        const selection = await select("session", session);
        return offerFor(selection, session, "", (decision) =>
          onEhlo({ session, ehlo, selection, ...decision }),
        );
      },
      ...(bySelection
        ? {
            async offerStartTls(session, ehlo): Promise<StartTlsOffer | null> {
              const selection = await selectStartTls("session", session);
              return offerFor(selection, session, "STARTTLS ", (decision) =>
                onStartTlsDecision({ session, ehlo, selection, ...decision }),
              );
            },
            onStartTls(session, offer, _socket, { peerChain, protocol }) {
              if (options.onStartTls === undefined) return;
              onStartTls({
                session,
                selection: offer.selection,
                peerThumbprint: peerChain[0]?.thumbprint ?? null,
                peerChain,
                protocol,
              });
            },
          }
        : {}),
      // Reading the peer's chain costs a certificate decode per element: only for a listener.
      peerChain: options.onAnonymousTls !== undefined || options.onStartTls !== undefined,
      onUpgraded(session, offer, _socket, { peerChain, protocol }) {
        if (options.onAnonymousTls === undefined) return;
        onAnonymousTls({
          session,
          selection: offer.selection,
          peerThumbprint: peerChain[0]?.thumbprint ?? null,
          peerChain,
          protocol,
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
    startupStartTls,
    startupOffer,
    startupStartTlsOffer,
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
