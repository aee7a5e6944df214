// TCP doubles for the LDAP tests: a server that accepts and never answers (timeouts, aborts),
// and a recording proxy in front of slapd that shows whether the adapter sent an Unbind and
// closed its connection. Both listen on 127.0.0.1 at a port the OS picks.
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface Connections {
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Of those, how many the client has closed. */
  readonly closed: number;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address !== null && typeof address === "object") resolve(address.port);
      else reject(new Error("no port"));
    });
  });
}

function shut(server: Server, sockets: Iterable<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface SilentServer extends Connections {
  readonly port: number;
  /** Bytes received from all clients. */
  readonly received: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never writes a byte. */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let closed = 0;
  let received = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => {});
    // Read (and count) what arrives: a paused socket would never see the client's FIN.
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
  });
  const port = await listen(server);
  return {
    port,
    get accepted() {
      return accepted;
    },
    get closed() {
      return closed;
    },
    get received() {
      return received;
    },
    close: () => shut(server, sockets),
  };
}

export interface ProxySession {
  /** Everything the client sent. */
  readonly fromClient: Buffer;
  readonly closed: boolean;
}

export interface RecordingProxy extends Connections {
  readonly url: string;
  readonly sessions: readonly ProxySession[];
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:targetPort that records what each client sends. */
export async function recordingProxy(targetPort: number): Promise<RecordingProxy> {
  const sockets = new Set<Socket>();
  const sessions: { fromClient: Buffer; closed: boolean }[] = [];
  const server = createServer((client) => {
    const session = { fromClient: Buffer.alloc(0), closed: false };
    sessions.push(session);
    const upstream = createConnection({ port: targetPort, host: "127.0.0.1" });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("data", (chunk: Buffer) => {
      session.fromClient = Buffer.concat([session.fromClient, chunk]);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("close", () => {
      session.closed = true;
      upstream.destroy();
    });
    upstream.on("close", () => client.destroy());
  });
  const port = await listen(server);
  return {
    url: `ldap://127.0.0.1:${port}`,
    sessions,
    get accepted() {
      return sessions.length;
    },
    get closed() {
      return sessions.filter((session) => session.closed).length;
    },
    close: () => shut(server, sockets),
  };
}

/**
 * Whether the client's last LDAP message was an UnbindRequest: RFC 4511 §4.3 encodes it as
 * `[APPLICATION 2] NULL`, the two bytes 0x42 0x00, closing the LDAPMessage.
 */
export function endsWithUnbind(session: ProxySession): boolean {
  const bytes = session.fromClient;
  return bytes.length >= 2 && bytes[bytes.length - 2] === 0x42 && bytes[bytes.length - 1] === 0x00;
}

/** Polls `check` until it holds (the event loop must run for sockets to report). */
export async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface HangUpServer extends Connections {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Accepts, waits for the client's first bytes (a TLS ClientHello, a StartTLS, bind or search
 * request), then hangs up: with a FIN, or with a RST (`reset`), as a server that crashed or was
 * killed would. No answer is ever written.
 */
export async function hangUpServer(how: "close" | "reset"): Promise<HangUpServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let closed = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("data", () => {
      if (how === "reset") socket.resetAndDestroy();
      else socket.destroy();
    });
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
  });
  const port = await listen(server);
  return {
    port,
    get accepted() {
      return accepted;
    },
    get closed() {
      return closed;
    },
    close: () => shut(server, sockets),
  };
}
