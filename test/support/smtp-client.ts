// Raw SMTP/TLS clients on loopback for the receivers' tests (the smtp-server integration and the
// Haraka plugin): sockets that are tracked and closed after each test, a client TLS handshake
// presenting the sender's certificate, a captured ClientHello, and deadlines on every wait.
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";

import { fixture } from "./fixtures.js";

/** The certificate the sending side presents (a CA-issued ECDSA leaf). */
export const SENDER_CERT = "leaf-ec";

/** Rejects with `message` when `promise` takes longer than `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/** One test file's clients: everything they open is closed by `closeAll`. */
export class Clients {
  readonly #closers: (() => void)[] = [];

  /** Ignores the socket's errors (a hostile test provokes them) and closes it with the rest. */
  track<T extends Socket>(socket: T): T {
    socket.on("error", () => {});
    this.#closers.push(() => socket.destroy());
    return socket;
  }

  /** Registers something else to close with the sockets (a sink server). */
  onClose(close: () => void): void {
    this.#closers.push(close);
  }

  closeAll(): void {
    for (const close of this.#closers.splice(0).reverse()) close();
  }

  connectTo(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = this.track(connect(port, "127.0.0.1"));
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    });
  }

  /** Resolves when the peer closed the socket (or it was destroyed), within `ms`. */
  closed(socket: Socket, ms: number, message: string): Promise<void> {
    if (socket.destroyed) return Promise.resolve();
    socket.resume();
    return withDeadline(
      new Promise<void>((resolve) => socket.once("close", () => resolve())),
      ms,
      message,
    );
  }

  /** The client side of the handshake on `socket`, presenting the sender's certificate. */
  clientHandshake(
    socket: Socket,
    options: { maxVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2"; ciphers?: string } = {},
  ): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const tlsSocket = this.track(
        tlsConnect({
          socket,
          cert: fixture(SENDER_CERT).pem,
          key: fixture(SENDER_CERT).keyPem,
          rejectUnauthorized: false,
          checkServerIdentity: () => undefined,
          ...(options.maxVersion === undefined
            ? {}
            : { minVersion: "TLSv1" as const, maxVersion: options.maxVersion }),
          ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
        }),
      );
      tlsSocket.once("secureConnect", () => resolve(tlsSocket));
      tlsSocket.once("error", reject);
      tlsSocket.once("close", () => reject(new Error("closed during the handshake")));
    });
  }

  /**
   * A ClientHello as Node sends it, captured from a sink on loopback: the bytes a client sends
   * before it waits for the server.
   */
  async captureClientHello(ms = 10_000): Promise<Buffer> {
    const sink = createServer((socket) => {
      this.track(socket);
    });
    this.onClose(() => sink.close());
    const hello = new Promise<Buffer>((resolve) => {
      sink.on("connection", (socket: Socket) =>
        socket.once("data", (chunk: Buffer) => resolve(chunk)),
      );
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", () => resolve()));
    const { port } = sink.address() as AddressInfo;
    this.track(tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false, timeout: 5_000 }));
    return withDeadline(hello, ms, "no ClientHello captured");
  }
}
