// Loopback plumbing for the wire tests: scripted SMTP servers (for what a real server never does:
// replies split byte by byte, closing mid-reply, silence, injection), connections, and a registry
// that closes every server and socket after each test. Ports are chosen by the OS.
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

import { afterEach } from "vitest";

import {
  type AnonymousTlsServerOptions,
  type AnonymousTlsSession,
  createAnonymousTlsServer,
  type EhloDecision,
} from "../../examples/anonymous-tls-server/server.js";
import { smtpCommand } from "../../src/adapters/tls.js";
import { fixture } from "../support/fixtures.js";

const closers: (() => Promise<void> | void)[] = [];

/** Registers the cleanup hook; call once at the top of a test file. */
export function closeEverythingAfterEach(): void {
  afterEach(async () => {
    const pending = closers.splice(0).reverse();
    for (const close of pending) await close();
  });
}

export function track<T extends Socket>(socket: T): T {
  closers.push(() => {
    socket.destroy();
  });
  return socket;
}

/** A TCP connection to 127.0.0.1:port, once connected. */
export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = track(connect(port, "127.0.0.1"));
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

export interface Scripted {
  readonly port: number;
  /** Command lines the server received, in order. */
  readonly received: string[];
}

/**
 * A server that runs `script` on each connection; `onLine` in the script's context calls back
 * for each command line the client sends.
 */
export async function scriptedServer(
  script: (socket: Socket, onLine: (handler: (line: string) => void) => void) => void,
): Promise<Scripted> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    let buffer = "";
    let handler: (line: string) => void = () => {};
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      let newline = buffer.indexOf("\r\n");
      while (newline !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        received.push(line);
        handler(line);
        newline = buffer.indexOf("\r\n");
      }
    });
    script(socket, (h) => {
      handler = h;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, received };
}

/** Writes `text` one byte per write, each after the previous one left, so TCP cannot merge them. */
export async function trickle(socket: Socket, text: string): Promise<void> {
  socket.setNoDelay(true);
  for (const byte of Buffer.from(text, "latin1")) {
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => socket.write(Buffer.of(byte), () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

// --- the example receiver -----------------------------------------------------------------------

export interface Receiver {
  readonly port: number;
  readonly startup: Awaited<ReturnType<typeof createAnonymousTlsServer>>["startup"];
  readonly ehlo: EhloDecision[];
  readonly sessions: AnonymousTlsSession[];
  readonly errors: unknown[];
  /** Resolves with the next completed X-ANONYMOUSTLS session. */
  nextSession(): Promise<AnonymousTlsSession>;
}

/** The STARTTLS certificate of every test receiver: not one any selection picks. */
export const STARTTLS_FIXTURE = "self-signed-old";

export async function startReceiver(
  selection: AnonymousTlsServerOptions["selection"],
): Promise<Receiver> {
  const ehlo: EhloDecision[] = [];
  const sessions: AnonymousTlsSession[] = [];
  const errors: unknown[] = [];
  const waiters: ((session: AnonymousTlsSession) => void)[] = [];
  const server = await createAnonymousTlsServer({
    selection,
    smtp: {
      name: "hub01.contoso.com",
      key: fixture(STARTTLS_FIXTURE).keyPem,
      cert: fixture(STARTTLS_FIXTURE).pem,
    },
    onEhlo: (decision) => ehlo.push(decision),
    onAnonymousTls: (session) => {
      sessions.push(session);
      waiters.shift()?.(session);
    },
    onError: (error) => errors.push(error),
  });
  const address = await server.listen(0, "127.0.0.1");
  closers.push(() => server.close());
  return {
    port: address.port,
    startup: server.startup,
    ehlo,
    sessions,
    errors,
    nextSession: () => {
      const done = sessions.shift();
      if (done !== undefined) return Promise.resolve(done);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

/** Greeting and EHLO on a fresh connection; returns the socket and the EHLO reply lines. */
export async function ehloOn(port: number): Promise<{ socket: Socket; keywords: string[] }> {
  const socket = await connectTo(port);
  const greeting = await smtpCommand(socket, null, { timeout: 5000 });
  if (greeting.code !== 220) throw new Error(`greeting ${greeting.code}`);
  const reply = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5000 });
  return { socket, keywords: reply.lines.slice(1).map((line) => line.split(" ")[0] ?? "") };
}

/** A plain TLS client handshake on a socket (STARTTLS), without verification. */
export function startTls(socket: Socket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tlsSocket = track(
      tlsConnect({ socket, rejectUnauthorized: false, checkServerIdentity: () => undefined }),
    );
    tlsSocket.once("secureConnect", () => resolve(tlsSocket));
    tlsSocket.once("error", reject);
  });
}
