// Loopback plumbing for the receiver's tests: a receiver on an OS-chosen port of 127.0.0.1 that
// records what it reports, raw clients, a captured ClientHello, and well-behaved anonymous-TLS and
// STARTTLS sessions to prove the receiver still serves after each hostile one. Everything is closed after
// each test; every wait has a deadline.
import type { Socket } from "node:net";

import { afterEach, expect } from "vitest";

import {
  type AnonymousTlsServer,
  type AnonymousTlsServerOptions,
  type AnonymousTlsSession,
  createAnonymousTlsServer,
  type EhloDecision,
  type ReceiverError,
  type StartTlsDecision,
  type StartTlsSession,
} from "../../src/adapters/smtp-server/index.js";
import { smtpCommand } from "../../src/adapters/tls.js";
import { entry, fixture, memoryStore, NOW, staticDirectory } from "../support/fixtures.js";
import { Clients, SENDER_CERT, withDeadline } from "../support/smtp-client.js";

const closers: (() => Promise<void> | void)[] = [];

const clients = new Clients();

export function closeEverythingAfterEach(): void {
  afterEach(async () => {
    clients.closeAll();
    for (const close of closers.splice(0).reverse()) await close();
  });
}

export const track = <T extends Socket>(socket: T): T => clients.track(socket);

export interface TestReceiver {
  readonly server: AnonymousTlsServer;
  readonly port: number;
  readonly errors: ReceiverError[];
  readonly ehlo: EhloDecision[];
  readonly sessions: AnonymousTlsSession[];
  readonly startTlsDecisions: StartTlsDecision[];
  readonly startTlsSessions: StartTlsSession[];
  /** Resolves with the first reported error matching `code`, within `ms`. */
  nextError(code: string, ms?: number): Promise<ReceiverError>;
}

/** The receiver's certificate: self-signed, listed by the directory, with its key (I2–I4). */
export const RECEIVER_CERT = "self-signed";
/** The sender's certificate in the well-behaved session. */
export { SENDER_CERT, withDeadline };
/**
 * The certificate the inbound STARTTLS selection picks from the default store (S2: the connector's
 * Fqdn mail.contoso.com; S6: newest Valid-from first, no trust anchors, so the newest self-signed):
 * not the one X-ANONYMOUSTLS presents, so a test sees which process chose.
 */
export const STARTTLS_CERT = "self-signed-newest";
/** The Receive connector's Fqdn (S2) in the default receiver. */
export const CONNECTOR_FQDN = "mail.contoso.com";

export async function startReceiver(
  extra: Partial<Omit<AnonymousTlsServerOptions, "onError">> = {},
): Promise<TestReceiver> {
  const errors: ReceiverError[] = [];
  const ehlo: EhloDecision[] = [];
  const sessions: AnonymousTlsSession[] = [];
  const startTlsDecisions: StartTlsDecision[] = [];
  const startTlsSessions: StartTlsSession[] = [];
  const waiters: { code: string; resolve: (error: ReceiverError) => void }[] = [];
  const server = await createAnonymousTlsServer({
    selection: {
      receiveConnector: {
        authMechanism: "Tls, ExchangeServer",
        fqdn: CONNECTOR_FQDN,
        name: "HUB01\\Default HUB01",
      },
      directory: staticDirectory(fixture(RECEIVER_CERT).thumbprint),
      store: memoryStore([
        entry(RECEIVER_CERT, { withKey: true }),
        entry(STARTTLS_CERT, { withKey: true }),
      ]),
      now: NOW,
    },
    // No key/cert: STARTTLS is the inbound STARTTLS selection's (S1–S9).
    smtp: { name: "hub01.contoso.com" },
    handshakeTimeout: 2_000,
    onEhlo: (decision) => ehlo.push(decision),
    onAnonymousTls: (session) => sessions.push(session),
    onStartTlsDecision: (decision) => startTlsDecisions.push(decision),
    onStartTls: (session) => startTlsSessions.push(session),
    ...extra,
    onError: (error) => {
      errors.push(error);
      for (const waiter of waiters.filter((w) => w.code === error.code)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(error);
      }
    },
  });
  const address = await server.listen(0, "127.0.0.1");
  closers.push(() => server.close());
  return {
    server,
    port: address.port,
    errors,
    ehlo,
    sessions,
    startTlsDecisions,
    startTlsSessions,
    nextError(code, ms = 5_000) {
      const found = errors.find((e) => e.code === code);
      if (found !== undefined) return Promise.resolve(found);
      return withDeadline(
        new Promise<ReceiverError>((resolve) => waiters.push({ code, resolve })),
        ms,
        `no ${code} reported within ${ms} ms (got: ${errors.map((e) => e.code).join(", ")})`,
      );
    },
  };
}

export const connectTo = (port: number): Promise<Socket> => clients.connectTo(port);

/** Resolves when the peer closed the socket (or it was destroyed), within `ms`. */
export const closed = (socket: Socket, ms = 5_000): Promise<void> =>
  clients.closed(socket, ms, "the receiver did not close the session");

/** Greeting, EHLO, X-ANONYMOUSTLS → 220: the socket is now where a ClientHello is expected. */
export async function upToHandshake(port: number): Promise<Socket> {
  const socket = await connectTo(port);
  const greeting = await smtpCommand(socket, null, { timeout: 5_000 });
  expect(greeting.code).toBe(220);
  const ehlo = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
  expect(ehlo.lines.slice(1)).toContain("X-ANONYMOUSTLS");
  const go = await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 5_000 });
  expect(go.code).toBe(220);
  return socket;
}

/** Greeting, EHLO (STARTTLS listed), STARTTLS → 220: a ClientHello is expected next. */
export async function upToStartTls(port: number): Promise<Socket> {
  const socket = await connectTo(port);
  const greeting = await smtpCommand(socket, null, { timeout: 5_000 });
  expect(greeting.code).toBe(220);
  const ehlo = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
  expect(ehlo.lines.slice(1)).toContain("STARTTLS");
  const go = await smtpCommand(socket, "STARTTLS", { timeout: 5_000 });
  expect(go.code).toBe(220);
  return socket;
}

/** The client side of the handshake on `socket`, presenting the sender's certificate. */
export const clientHandshake: Clients["clientHandshake"] = (socket, options) =>
  clients.clientHandshake(socket, options);

/**
 * A whole, well-behaved anonymous-TLS session: EHLO, X-ANONYMOUSTLS, handshake, EHLO inside TLS,
 * QUIT. Proves the receiver is alive and serving; returns what the receiver reported of it.
 */
export async function wellBehavedSession(receiver: TestReceiver): Promise<AnonymousTlsSession> {
  const before = receiver.sessions.length;
  const socket = await upToHandshake(receiver.port);
  const tlsSocket = await withDeadline(clientHandshake(socket), 5_000, "handshake");
  expect(tlsSocket.getPeerCertificate().fingerprint.replaceAll(":", "")).toBe(
    fixture(RECEIVER_CERT).thumbprint,
  );
  const again = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 5_000 });
  expect(again.code).toBe(250);
  const quit = await smtpCommand(tlsSocket, "QUIT", { timeout: 5_000 });
  expect(quit.code).toBe(221);
  tlsSocket.destroy();
  expect(receiver.server.smtp.server.listening).toBe(true);
  const session = receiver.sessions[before];
  expect(session?.peerThumbprint).toBe(fixture(SENDER_CERT).thumbprint);
  return session!;
}

/**
 * A whole, well-behaved STARTTLS session: EHLO, STARTTLS, a handshake that presents the STARTTLS
 * selection's certificate (S6), EHLO inside TLS (no STARTTLS listed, RFC 3207 §4.2), QUIT.
 */
export async function wellBehavedStartTlsSession(
  receiver: TestReceiver,
  presented: string = fixture(STARTTLS_CERT).thumbprint,
): Promise<StartTlsSession> {
  const before = receiver.startTlsSessions.length;
  const socket = await upToStartTls(receiver.port);
  const tlsSocket = await withDeadline(clientHandshake(socket), 5_000, "STARTTLS handshake");
  expect(tlsSocket.getPeerCertificate().fingerprint.replaceAll(":", "")).toBe(presented);
  const again = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 5_000 });
  expect(again.code).toBe(250);
  expect(again.lines.slice(1)).not.toContain("STARTTLS");
  const quit = await smtpCommand(tlsSocket, "QUIT", { timeout: 5_000 });
  expect(quit.code).toBe(221);
  tlsSocket.destroy();
  expect(receiver.server.smtp.server.listening).toBe(true);
  const session = receiver.startTlsSessions[before];
  expect(session?.selection.thumbprint).toBe(presented);
  expect(session?.peerThumbprint).toBe(fixture(SENDER_CERT).thumbprint);
  return session!;
}

/**
 * A real ClientHello (Node's TLS client's first flight), captured from a listener that answers
 * nothing: the bytes a client sends before it waits for the server.
 */
export const captureClientHello = (): Promise<Buffer> => clients.captureClientHello(5_000);

/** The session identity `error` carries is this client's (`clientPort`: its local port). */
export function expectIdentityOf(error: ReceiverError, clientPort: number | undefined): void {
  expect(clientPort).toBeTypeOf("number");
  expect(error.session).not.toBeNull();
  expect(error.session?.remoteAddress).toMatch(/127\.0\.0\.1$/);
  expect(error.session?.remotePort).toBe(clientPort);
  expect(error.session?.id).toMatch(/^[a-z0-9]+$/);
}
