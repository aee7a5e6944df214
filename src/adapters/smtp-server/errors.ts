// What the receiver reports through `onError`. Q&A:
// Q: what can a client do to a session?  A: send plaintext where TLS is expected, an old or broken
//    ClientHello, garbage, a line longer than the parser takes, stop mid-handshake, go silent.
//    Each ends that session (the socket is closed) and is reported here with the session's
//    identity; no other session and no listener sees it (the receiver never emits 'error').
// Q: and what is not reported?  A: a client that simply disconnects outside a handshake and
//    outside a mail transaction (ECONNRESET, EPIPE): smtp-server treats that as the normal end
//    of a connection, and so do we.
// Q: codes?  A: stable strings; match on `code`, never on the message.

/** Why a session of the receiver ended badly, or what failed in it. */
export type ReceiverErrorCode =
  /** The TLS handshake after X-ANONYMOUSTLS or STARTTLS failed (old version, garbage, closed). */
  | "ERR_SESSION_TLS"
  /** The client did not finish the TLS handshake within `handshakeTimeout`. */
  | "ERR_SESSION_HANDSHAKE_TIMEOUT"
  /** smtp-server's command parser refused the input (e.g. a line longer than it accepts). */
  | "ERR_SESSION_PROTOCOL"
  /** Any other error of the session's socket. */
  | "ERR_SESSION_SOCKET"
  /** The selection rejected (misuse caught only at a session) or the secure context failed. */
  | "ERR_SESSION_SELECTION"
  /** A callback of yours (onEhlo, onAnonymousTls, onEvent) threw. */
  | "ERR_SESSION_CALLBACK"
  /** An error of the listening server itself, not of one session. */
  | "ERR_SERVER";

/** Who a session is: smtp-server's session id and the client's address. */
export interface SessionIdentity {
  /** smtp-server's random session id (also in its own log lines). */
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What `onError` receives: a stable code, the session (null for the server), the cause. */
export class ReceiverError extends Error {
  constructor(
    /** Stable identifier of the failure. */
    readonly code: ReceiverErrorCode,
    /** The session it ended or happened in; null for an error of the listening server. */
    readonly session: SessionIdentity | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The identity of a session object (smtp-server's), copied: the session object is mutable. */
export function identityOf(session: {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}): SessionIdentity {
  return Object.freeze({
    id: session.id,
    remoteAddress: session.remoteAddress,
    remotePort: session.remotePort,
  });
}
