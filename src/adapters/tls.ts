// Putting a selection on the wire: the TLS options a selected certificate gives Node's `tls`, and
// the sending side of an anonymous-TLS SMTP session (EHLO, X-ANONYMOUSTLS, TLS handshake).
// Q: which certificates does a peer get?  A: `selection.chain`: the leaf, then the intermediates of
//    the validated path when the certificate is valid PKI (A3), never the trust anchor. PEMs are
//    joined with "\n" (@peculiar/x509's PEMs have no trailing newline; STYLE "Known traps").
// Q: does the sender verify the receiver's chain?  A: no. Anonymous TLS between Exchange servers is
//    direct trust: each side compares the other's certificate with the one it knows (published in
//    the directory / the Edge subscription), by thumbprint. So the handshake runs with
//    `rejectUnauthorized: false` and no name check, and the result carries the peer's thumbprint
//    and chain for the caller to compare. Dates are not checked either: an expired directory
//    certificate is still used (R7, I4).
// Q: when is X-ANONYMOUSTLS sent?  A: only when the receiver lists it in its EHLO reply (it does
//    when its inbound selection, I1–I4, yields a certificate) and the outbound selection (R1–R15)
//    yielded a certificate whose private key we have. Otherwise the session goes on in plaintext
//    and the result says why.
// Q: what is an outcome and what is an error?  A: "not offered", "no certificate", "refused" and a
//    rejected EHLO leave a working plaintext session: outcomes. A session that cannot go on (the
//    server closed, timed out, sent something that is not SMTP, refused the greeting, or the TLS
//    handshake failed) rejects with SmtpSessionError and the socket is destroyed; an abort rejects
//    with the signal's reason.
// Q: bytes after the 220 that answers X-ANONYMOUSTLS?  A: the server speaks TLS only after our
//    ClientHello, so anything already received is plaintext that would otherwise look protected:
//    a protocol error (the STARTTLS response-injection problem, RFC 3207 §5).
import type { Socket } from "node:net";
import { hostname } from "node:os";
import {
  type DetailedPeerCertificate,
  type SecureVersion,
  type TLSSocket,
  connect as tlsConnect,
} from "node:tls";

import { NoPrivateKeyError, NotSelectedError, SmtpSessionError } from "../errors.js";
import {
  type EhloReply,
  parseEhloReply,
  type SmtpReply,
  SmtpReplyParser,
  SmtpReplySyntaxError,
} from "../exchange/smtp-reply.js";
import type { Selection } from "../types.js";
import { certificateBytes } from "../x509/certificate.js";
import { thumbprintOf } from "../x509/thumbprint.js";

/** The EHLO keyword and the command (Exchange spells it in upper case; compared case-insensitively). */
export const ANONYMOUS_TLS_KEYWORD = "X-ANONYMOUSTLS";

// ---------------------------------------------------------------------------------------------
// toTlsOptions

/** Options of {@link toTlsOptions}. */
export interface ToTlsOptionsOptions {
  /** Lowest TLS version to negotiate. Default "TLSv1.2" (Node's default, stated explicitly). */
  readonly minVersion?: SecureVersion;
}

/** What Node's `tls.connect`, `tls.createSecureContext` and `new tls.TLSSocket` take. */
export interface SelectionTlsOptions {
  /** PEM chain, leaf first, then the intermediates of the validated path; joined with "\n". */
  readonly cert: string;
  /** The private key, PEM. */
  readonly key: string;
  /** The lowest TLS version to negotiate. */
  readonly minVersion: SecureVersion;
}

/**
 * The TLS options of a selected certificate. Throws {@link NotSelectedError} (`ERR_NOT_SELECTED`)
 * for a selection that did not select one, and {@link NoPrivateKeyError} (`ERR_NO_PRIVATE_KEY`)
 * when the store entry carries no private key material (A9: a certificate without its key cannot
 * be used on a socket).
 */
export function toTlsOptions(
  selection: Selection,
  options: ToTlsOptionsOptions = {},
): SelectionTlsOptions {
  const selected = requireSelected(selection);
  const { entry } = selected;
  const key = entry.privateKey;
  if (!entry.hasPrivateKey || typeof key !== "string" || key.trim() === "") {
    throw new NoPrivateKeyError(
      `the selected certificate ${selected.thumbprint} has no private key material in its store entry`,
    );
  }
  // The selection's chain starts with the certificate used; a hand-made selection without one
  // still has its entry's certificate.
  const chain = selected.chain.length > 0 ? selected.chain : [certificateBytes(entry.certificate)];
  return {
    cert: chain.map(derToPem).join("\n"),
    key,
    minVersion: options.minVersion ?? "TLSv1.2",
  };
}

/** A result that selected a certificate, of any process (anonymous TLS or STARTTLS). */
type AnySelected = Extract<Selection, { readonly outcome: "selected" }>;

function requireSelected(selection: Selection): AnySelected {
  switch (selection.outcome) {
    case "selected":
      return selection;
    case "session-fails":
      throw new NotSelectedError(
        `no certificate was selected: the session fails (S11, ${selection.reason})`,
      );
    case "not-attempted":
      throw new NotSelectedError(
        `no certificate was selected: the gate did not pass (${selection.failed.join(", ")})`,
      );
    case "no-certificate":
      throw new NotSelectedError(`no certificate was selected: ${selection.reason}`);
    default:
      return assertNever(selection);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected selection ${JSON.stringify(value)}`);
}

function derToPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----`;
}

// ---------------------------------------------------------------------------------------------
// Peer certificates

/** A certificate the peer presented. */
export interface PeerCertificate {
  /** 40 upper-case hex digits (SHA-1 of the DER), comparable with `Selected.thumbprint`. */
  readonly thumbprint: string;
  /** The certificate, DER. */
  readonly der: Uint8Array;
}

/**
 * The peer's certificates on a TLS socket, leaf first, each followed by its issuer as Node links
 * them (`getPeerCertificate(true)`): what the peer sent, plus a root from Node's CA store when one
 * issued the last of them. Empty when the peer presented none.
 */
export function peerCertificateChain(socket: TLSSocket): readonly PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | null | undefined = socket.getPeerCertificate(true);
  while (current?.raw !== undefined) {
    const der = new Uint8Array(current.raw);
    const thumbprint = thumbprintOf(der);
    // A self-issued root is its own issuer in Node's object graph: stop there.
    if (seen.has(thumbprint)) break;
    seen.add(thumbprint);
    chain.push({ thumbprint, der });
    current = current.issuerCertificate as DetailedPeerCertificate | undefined;
  }
  return Object.freeze(chain);
}

// ---------------------------------------------------------------------------------------------
// The sending side

/** Options of {@link negotiateAnonymousTls}. */
export interface NegotiateOptions {
  /** The EHLO argument: this server's FQDN. Default `os.hostname()`. */
  readonly ehloDomain?: string;
  /** Whether the server's 220 greeting is still to be read. Default true; false when the caller read it. */
  readonly readGreeting?: boolean;
  /** Milliseconds for the whole negotiation, greeting to handshake. Default 30 000. */
  readonly timeout?: number;
  /** Aborts the negotiation: the socket is destroyed and the promise rejects with the reason. */
  readonly signal?: AbortSignal;
  /** Passed to {@link toTlsOptions}. */
  readonly minVersion?: SecureVersion;
  /** SNI for the handshake. None by default: direct trust compares thumbprints, not names. */
  readonly servername?: string;
}

/** Why {@link negotiateAnonymousTls} did not upgrade the session. */
export type NotUsedReason =
  /** The outbound selection yielded no certificate, or none with its private key. */
  | "no-certificate"
  /** The receiver did not list X-ANONYMOUSTLS in its EHLO reply. */
  | "not-offered"
  /** The receiver answered EHLO with an error (it may still accept HELO). */
  | "ehlo-rejected"
  /** The receiver answered X-ANONYMOUSTLS with something other than 220. */
  | "refused";

/**
 * The session was upgraded: X-ANONYMOUSTLS was offered and accepted, and the handshake completed.
 */
export interface AnonymousTlsUsed {
  /** The discriminant: the session is now encrypted. */
  readonly used: true;
  /** The session, now encrypted. RFC 3207 §4.2 applies: send EHLO again before anything else. */
  readonly tlsSocket: TLSSocket;
  /** The receiver's EHLO reply before the upgrade (it listed X-ANONYMOUSTLS). */
  readonly ehlo: EhloReply;
  /** The certificate we presented (the outbound selection's). */
  readonly thumbprint: string;
  /** The receiver's certificate: compare it with the one the directory publishes (direct trust). */
  readonly peerThumbprint: string;
  /** The receiver's certificates, leaf first (see {@link peerCertificateChain}). */
  readonly peerChain: readonly PeerCertificate[];
  /** The negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string | null;
}

/** The session was not upgraded, for `reason`; it is still open in plaintext. */
export interface AnonymousTlsNotUsed {
  /** The discriminant: the session is still in plaintext. */
  readonly used: false;
  /** Why the session was not upgraded. */
  readonly reason: NotUsedReason;
  /** A sentence for people; not stable. */
  readonly detail: string;
  /** The same socket, still in plaintext after EHLO: the session goes on (STARTTLS, MAIL, QUIT). */
  readonly socket: Socket;
  /** The EHLO reply; null when EHLO was rejected. */
  readonly ehlo: EhloReply | null;
  /** Whether the receiver listed X-ANONYMOUSTLS. */
  readonly offered: boolean;
  /** The reply that rejected EHLO or X-ANONYMOUSTLS. */
  readonly reply?: SmtpReply;
  /** Why no certificate could be used (a NotSelectedError or NoPrivateKeyError). */
  readonly cause?: unknown;
}

/** What {@link negotiateAnonymousTls} resolves with: check `used`. */
export type AnonymousTlsNegotiation = AnonymousTlsUsed | AnonymousTlsNotUsed;

/**
 * The sending side of an anonymous-TLS SMTP session on a connected (or connecting) socket: reads
 * the greeting, sends EHLO, and when the receiver offers X-ANONYMOUSTLS and `selection` selected a
 * certificate with its key, sends the command and completes TLS presenting that certificate as
 * the client certificate. Resolves with what happened; rejects with {@link SmtpSessionError} (or
 * the abort reason) when the session cannot go on, after destroying the socket.
 */
export async function negotiateAnonymousTls(
  socket: Socket,
  selection: Selection,
  options: NegotiateOptions = {},
): Promise<AnonymousTlsNegotiation> {
  const ehloDomain = options.ehloDomain ?? hostname();
  // The argument goes on the wire inside a command line: no spaces or line breaks (injection).
  if (!/^[\x21-\x7e]+$/.test(ehloDomain)) {
    throw new TypeError("ehloDomain must be one printable ASCII word");
  }
  const timeout = checkTimeout(options.timeout);
  // Our side first (R1–R15 and A9): with no usable certificate, the command is never sent.
  const credentials = credentialsOf(selection, options.minVersion);

  const session = new ClientSession(socket, timeout, options.signal);
  try {
    if (options.readGreeting ?? true) {
      const greeting = await session.read();
      if (greeting.code !== 220) {
        throw new SmtpSessionError("ERR_SMTP_GREETING", `greeting ${describe(greeting)}`, {
          reply: greeting,
        });
      }
    }
    const ehloReply = await session.command(`EHLO ${ehloDomain}`);
    if (ehloReply.code !== 250) {
      return session.release({
        used: false,
        reason: "ehlo-rejected",
        detail: `EHLO answered ${describe(ehloReply)}`,
        socket,
        ehlo: null,
        offered: false,
        reply: ehloReply,
      });
    }
    const ehlo = session.parseEhlo(ehloReply);
    const offered = ehlo.keywords.has(ANONYMOUS_TLS_KEYWORD);
    if (!credentials.ok) {
      return session.release({
        used: false,
        reason: "no-certificate",
        detail: credentials.detail,
        socket,
        ehlo,
        offered,
        cause: credentials.cause,
      });
    }
    if (!offered) {
      return session.release({
        used: false,
        reason: "not-offered",
        detail: `${ehlo.domain || "the receiver"} does not list ${ANONYMOUS_TLS_KEYWORD} in its EHLO reply`,
        socket,
        ehlo,
        offered,
      });
    }
    const reply = await session.command(ANONYMOUS_TLS_KEYWORD);
    if (reply.code !== 220) {
      return session.release({
        used: false,
        reason: "refused",
        detail: `${ANONYMOUS_TLS_KEYWORD} answered ${describe(reply)}`,
        socket,
        ehlo,
        offered,
        reply,
      });
    }
    const tlsSocket = await session.startTls(credentials.tls, options.servername);
    const peerChain = peerCertificateChain(tlsSocket);
    const peer = peerChain[0];
    if (peer === undefined) {
      tlsSocket.destroy();
      throw new SmtpSessionError("ERR_TLS_HANDSHAKE", "the receiver presented no certificate");
    }
    return {
      used: true,
      tlsSocket,
      ehlo,
      thumbprint: credentials.thumbprint,
      peerThumbprint: peer.thumbprint,
      peerChain,
      protocol: tlsSocket.getProtocol(),
    };
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    session.dispose();
  }
}

/** Options of {@link smtpCommand}. */
export interface SmtpCommandOptions {
  /** Milliseconds until the reply is complete. Default 30 000. */
  readonly timeout?: number;
  /** Aborts the command: the socket is destroyed and the promise rejects with the reason. */
  readonly signal?: AbortSignal;
}

/**
 * Sends one command line (none when `line` is null: just reads, e.g. a greeting) on a plaintext or
 * TLS socket and reads its reply, multi-line replies and replies split across packets included.
 * For the rest of a session after {@link negotiateAnonymousTls} (EHLO again, MAIL, QUIT). Rejects
 * like it does, after destroying the socket.
 */
export async function smtpCommand(
  socket: Socket,
  line: string | null,
  options: SmtpCommandOptions = {},
): Promise<SmtpReply> {
  if (line !== null && /[\r\n]/.test(line)) {
    throw new TypeError("an SMTP command is one line: no CR or LF");
  }
  const timeout = checkTimeout(options.timeout);
  const session = new ClientSession(socket, timeout, options.signal, "reply");
  try {
    const reply = line === null ? await session.read() : await session.command(line);
    return session.release(reply);
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    session.dispose();
  }
}

function checkTimeout(timeout: number | undefined): number {
  const value = timeout ?? 30_000;
  if (typeof value !== "number" || !(value > 0)) {
    throw new TypeError("timeout must be a positive number of milliseconds");
  }
  return value;
}

type Credentials =
  | { readonly ok: true; readonly tls: SelectionTlsOptions; readonly thumbprint: string }
  | { readonly ok: false; readonly detail: string; readonly cause: unknown };

function credentialsOf(selection: Selection, minVersion: SecureVersion | undefined): Credentials {
  try {
    const tls = toTlsOptions(selection, minVersion === undefined ? {} : { minVersion });
    // toTlsOptions returned, so the selection is "selected".
    return { ok: true, tls, thumbprint: (selection as AnySelected).thumbprint };
  } catch (error) {
    if (error instanceof NotSelectedError || error instanceof NoPrivateKeyError) {
      return { ok: false, detail: error.message, cause: error };
    }
    throw error;
  }
}

function serializeReply(reply: SmtpReply): string {
  const last = reply.lines.length - 1;
  return reply.lines.map((line, i) => `${reply.code}${i < last ? "-" : " "}${line}\r\n`).join("");
}

function describe(reply: SmtpReply): string {
  return `${reply.code} ${reply.lines.join(" / ")}`.trim();
}

/**
 * One plaintext SMTP client session on a socket: a reply queue fed by a parser, one deadline and
 * one abort signal for every wait, and a clean hand-back of the socket (listeners removed, paused,
 * unread bytes pushed back) when the caller keeps the session.
 */
class ClientSession {
  readonly #socket: Socket;
  readonly #parser = new SmtpReplyParser();
  readonly #replies: SmtpReply[] = [];
  readonly #abort = new AbortController();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #signal: AbortSignal | undefined;
  #failure: unknown = null;
  #wake: (() => void) | null = null;
  #attached = true;

  constructor(
    socket: Socket,
    timeout: number,
    signal: AbortSignal | undefined,
    what = "anonymous TLS",
  ) {
    this.#socket = socket;
    this.#signal = signal;
    if (Number.isFinite(timeout)) {
      this.#timer = setTimeout(() => {
        this.#abort.abort(
          new SmtpSessionError("ERR_SMTP_TIMEOUT", `no ${what} within ${timeout} ms`),
        );
      }, timeout);
    }
    if (signal?.aborted) this.#abort.abort(signal.reason);
    signal?.addEventListener("abort", this.#onUserAbort);
    this.#abort.signal.addEventListener("abort", this.#onAbort);
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onEnd);
    socket.on("error", this.#onError);
    // A 'data' listener does not restart a stream that was paused explicitly (as #detach does).
    socket.resume();
    if (this.#abort.signal.aborted) this.#onAbort();
    // A socket that already ended emits no 'end' for us.
    if (socket.destroyed || socket.readableEnded) this.#onEnd();
  }

  /** The next reply. Rejects once the session failed. */
  async read(): Promise<SmtpReply> {
    for (;;) {
      const reply = this.#replies.shift();
      if (reply !== undefined) return reply;
      if (this.#failure !== null) throw this.#failure;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<SmtpReply> {
    if (this.#failure !== null) throw this.#failure;
    // A reply nobody asked for would be taken as the answer to this command.
    if (this.#replies.length > 0 || this.#parser.pending !== "") {
      this.#fail(new SmtpSessionError("ERR_SMTP_PROTOCOL", "the server sent an unsolicited reply"));
      throw this.#failure;
    }
    if (!this.#socket.writable) {
      this.#fail(new SmtpSessionError("ERR_SMTP_CLOSED", "the connection is closed"));
      throw this.#failure;
    }
    this.#socket.write(`${line}\r\n`);
    return this.read();
  }

  parseEhlo(reply: SmtpReply): EhloReply {
    try {
      return parseEhloReply(reply);
    } catch (error) {
      throw new SmtpSessionError("ERR_SMTP_PROTOCOL", `EHLO reply: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Hands the session back to the caller with `result`: unread bytes go back to the socket. */
  release<T>(result: T): T {
    // Replies nobody has asked for yet (pipelined by the server) stay the caller's to read.
    const queued = this.#replies.splice(0).map(serializeReply).join("");
    const unread = queued + this.#detach();
    if (unread !== "") this.#socket.unshift(Buffer.from(unread, "latin1"));
    return result;
  }

  /** After the 220: the TLS handshake as the client, presenting our certificate. */
  async startTls(credentials: SelectionTlsOptions, servername: string | undefined) {
    const unread = this.#detach();
    if (unread !== "" || this.#replies.length > 0) {
      throw new SmtpSessionError(
        "ERR_SMTP_PROTOCOL",
        "plaintext received after the 220 to X-ANONYMOUSTLS, before the TLS handshake",
      );
    }
    this.#abort.signal.throwIfAborted();
    const tlsSocket = tlsConnect({
      socket: this.#socket,
      cert: credentials.cert,
      key: credentials.key,
      minVersion: credentials.minVersion,
      // Direct trust: the caller compares thumbprints (see the Q&A at the top).
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(servername === undefined ? {} : { servername }),
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(this.#abort.signal.reason);
        const fail = (error: Error) =>
          reject(new SmtpSessionError("ERR_TLS_HANDSHAKE", error.message, { cause: error }));
        const closed = () =>
          reject(new SmtpSessionError("ERR_SMTP_CLOSED", "closed during the TLS handshake"));
        const done = () => {
          this.#abort.signal.removeEventListener("abort", abort);
          tlsSocket.off("error", fail);
          tlsSocket.off("close", closed);
        };
        tlsSocket.once("secureConnect", () => {
          done();
          resolve();
        });
        tlsSocket.once("error", (error) => {
          done();
          fail(error);
        });
        tlsSocket.once("close", () => {
          done();
          closed();
        });
        this.#abort.signal.addEventListener("abort", () => {
          done();
          abort();
        });
      });
    } catch (error) {
      tlsSocket.destroy();
      throw error;
    }
    return tlsSocket;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onUserAbort);
    this.#abort.signal.removeEventListener("abort", this.#onAbort);
    this.#detach();
  }

  /** Stops reading: the socket is paused and keeps no listener of ours. Returns unread text. */
  #detach(): string {
    if (this.#attached) {
      this.#attached = false;
      this.#socket.off("data", this.#onData);
      this.#socket.off("end", this.#onEnd);
      this.#socket.off("close", this.#onEnd);
      this.#socket.off("error", this.#onError);
      // Removing the last 'data' listener does not stop a flowing stream.
      this.#socket.pause();
    }
    return this.#parser.pending;
  }

  #fail(error: unknown): void {
    if (this.#failure === null) this.#failure = error;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  readonly #onData = (chunk: Buffer | string): void => {
    try {
      this.#replies.push(...this.#parser.push(chunk));
    } catch (error) {
      this.#fail(
        error instanceof SmtpReplySyntaxError
          ? new SmtpSessionError("ERR_SMTP_PROTOCOL", error.message, { cause: error })
          : error,
      );
    }
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  };

  readonly #onEnd = (): void => {
    this.#fail(new SmtpSessionError("ERR_SMTP_CLOSED", "the server closed the connection"));
  };

  readonly #onError = (error: Error): void => {
    this.#fail(new SmtpSessionError("ERR_SMTP_CLOSED", error.message, { cause: error }));
  };

  readonly #onUserAbort = (): void => {
    this.#abort.abort(this.#signal?.reason);
  };

  readonly #onAbort = (): void => {
    this.#fail(this.#abort.signal.reason);
  };
}
