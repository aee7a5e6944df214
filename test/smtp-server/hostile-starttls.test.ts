// Issue 14, item 2, for STARTTLS by selection (S1–S9): each hostile client is its own case, with
// real sockets on 127.0.0.1. Each asserts that its failure ended that session only and reached
// onError with the session's identity (the client's port), and that afterwards a well-behaved
// STARTTLS session (the selection's certificate presented) and a well-behaved X-ANONYMOUSTLS
// session both complete. An 'error' event nobody handles would throw out of the event loop and
// fail the run (vitest reports uncaught errors).
import { setTimeout as sleep } from "node:timers/promises";

import { describe, expect, it } from "vitest";

import { smtpCommand } from "../../src/adapters/tls.js";
import { fixture } from "../support/fixtures.js";
import {
  captureClientHello,
  clientHandshake,
  closed,
  closeEverythingAfterEach,
  connectTo,
  expectIdentityOf,
  STARTTLS_CERT,
  startReceiver,
  type TestReceiver,
  upToHandshake,
  upToStartTls,
  wellBehavedSession,
  wellBehavedStartTlsSession,
  withDeadline,
} from "./support.js";

closeEverythingAfterEach();

/** The receiver still serves both kinds of session, and the listener is up. */
async function stillServing(receiver: TestReceiver): Promise<void> {
  await wellBehavedStartTlsSession(receiver);
  await wellBehavedSession(receiver);
}

describe("hostile STARTTLS clients end their own session only (issue 14, item 2)", () => {
  it("STARTTLS then plaintext (the issue's third crash): ERR_SESSION_TLS for that session", async () => {
    const receiver = await startReceiver();
    const socket = await upToStartTls(receiver.port);
    const port = socket.localPort;
    socket.write("MAIL FROM:<a@b.example>\r\n");
    await closed(socket);
    const error = await receiver.nextError("ERR_SESSION_TLS");
    expectIdentityOf(error, port);
    expect(error.cause).toBeInstanceOf(Error);
    await stillServing(receiver);
  });

  it.each([
    ["TLSv1", "TLSv1"],
    ["TLSv1.1", "TLSv1.1"],
  ] as const)(
    "a %s ClientHello after STARTTLS is refused (the floor is TLS 1.2): ERR_SESSION_TLS",
    async (_, maxVersion) => {
      const receiver = await startReceiver();
      const socket = await upToStartTls(receiver.port);
      const port = socket.localPort;
      // SECLEVEL=0 lets this OpenSSL build send an old hello at all.
      await expect(
        clientHandshake(socket, { maxVersion, ciphers: "DEFAULT@SECLEVEL=0" }),
      ).rejects.toThrow();
      expectIdentityOf(await receiver.nextError("ERR_SESSION_TLS"), port);
      expect(receiver.startTlsSessions).toHaveLength(0);
      await stillServing(receiver);
    },
  );

  it("garbage instead of a ClientHello after STARTTLS: ERR_SESSION_TLS", async () => {
    const receiver = await startReceiver();
    const socket = await upToStartTls(receiver.port);
    const port = socket.localPort;
    // A TLS record header of an unknown content type, then noise.
    socket.write(Buffer.concat([Buffer.from([0x99, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 7)]));
    await closed(socket);
    expectIdentityOf(await receiver.nextError("ERR_SESSION_TLS"), port);
    await stillServing(receiver);
  });

  it("a ClientHello after STARTTLS, then silence: ERR_SESSION_HANDSHAKE_TIMEOUT, reported once", async () => {
    const receiver = await startReceiver({ handshakeTimeout: 300 });
    const hello = await captureClientHello();
    const socket = await upToStartTls(receiver.port);
    const port = socket.localPort;
    const started = Date.now();
    socket.write(hello);
    await closed(socket, 5_000);
    const error = await receiver.nextError("ERR_SESSION_HANDSHAKE_TIMEOUT");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(error.message).toContain("STARTTLS");
    expectIdentityOf(error, port);
    await sleep(100);
    expect(receiver.errors.map((e) => e.code)).toEqual(["ERR_SESSION_HANDSHAKE_TIMEOUT"]);
    await stillServing(receiver);
  });

  it("a client that closes mid-handshake after STARTTLS: one ERR_SESSION_TLS", async () => {
    const receiver = await startReceiver();
    const hello = await captureClientHello();
    const socket = await upToStartTls(receiver.port);
    const port = socket.localPort;
    const serverHello = new Promise((resolve) => socket.once("data", resolve));
    socket.resume();
    socket.write(hello);
    await withDeadline(serverHello, 5_000, "no ServerHello");
    socket.end();
    await closed(socket);
    expectIdentityOf(await receiver.nextError("ERR_SESSION_TLS"), port);
    expect(receiver.errors).toHaveLength(1);
    await stillServing(receiver);
  });

  it("X-ANONYMOUSTLS after STARTTLS: 503 before the new EHLO, not offered and 500 after it", async () => {
    const receiver = await startReceiver();
    const socket = await connectTo(receiver.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    const plain = await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    expect(plain.lines.slice(1)).toEqual(expect.arrayContaining(["STARTTLS", "X-ANONYMOUSTLS"]));
    expect((await smtpCommand(socket, "STARTTLS", { timeout: 5_000 })).code).toBe(220);
    const tlsSocket = await clientHandshake(socket);
    // The STARTTLS selection's certificate, not the X-ANONYMOUSTLS one.
    expect(tlsSocket.getPeerCertificate().fingerprint.replaceAll(":", "")).toBe(
      fixture(STARTTLS_CERT).thumbprint,
    );
    expect(receiver.sessions).toHaveLength(0);
    expect((await smtpCommand(tlsSocket, "X-ANONYMOUSTLS", { timeout: 5_000 })).code).toBe(503);
    const ehlo = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    expect(ehlo.lines.slice(1)).not.toContain("X-ANONYMOUSTLS");
    expect(ehlo.lines.slice(1)).not.toContain("STARTTLS");
    expect((await smtpCommand(tlsSocket, "X-ANONYMOUSTLS", { timeout: 5_000 })).code).toBe(500);
    expect((await smtpCommand(tlsSocket, "QUIT", { timeout: 5_000 })).code).toBe(221);
    expect(receiver.errors).toEqual([]);
    await stillServing(receiver);
  });

  it("STARTTLS after X-ANONYMOUSTLS: 503 TLS already active, before and after the new EHLO", async () => {
    const receiver = await startReceiver();
    const tlsSocket = await clientHandshake(await upToHandshake(receiver.port));
    expect((await smtpCommand(tlsSocket, "STARTTLS", { timeout: 5_000 })).code).toBe(503);
    const ehlo = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    expect(ehlo.lines.slice(1)).not.toContain("STARTTLS");
    expect((await smtpCommand(tlsSocket, "STARTTLS", { timeout: 5_000 })).code).toBe(503);
    expect((await smtpCommand(tlsSocket, "QUIT", { timeout: 5_000 })).code).toBe(221);
    expect(receiver.errors).toEqual([]);
    await stillServing(receiver);
  });

  it("STARTTLS twice, the second inside TLS: 503, and the session goes on", async () => {
    const receiver = await startReceiver();
    const tlsSocket = await clientHandshake(await upToStartTls(receiver.port));
    expect((await smtpCommand(tlsSocket, "STARTTLS", { timeout: 5_000 })).code).toBe(503);
    expect((await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 5_000 })).code).toBe(
      250,
    );
    expect((await smtpCommand(tlsSocket, "STARTTLS", { timeout: 5_000 })).code).toBe(503);
    expect((await smtpCommand(tlsSocket, "MAIL FROM:<a@b.example>", { timeout: 5_000 })).code).toBe(
      250,
    );
    expect((await smtpCommand(tlsSocket, "QUIT", { timeout: 5_000 })).code).toBe(221);
    expect(receiver.errors).toEqual([]);
    await stillServing(receiver);
  });

  it("STARTTLS twice, pipelined in plaintext: one 220, the second line is never run (RFC 3207 §5)", async () => {
    const receiver = await startReceiver();
    const socket = await connectTo(receiver.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.resume();
    socket.write("STARTTLS\r\nSTARTTLS\r\n");
    await sleep(300);
    expect(received).toBe("220 Ready to start TLS\r\n");
    socket.destroy();
    await stillServing(receiver);
  });

  it("STARTTLS before EHLO, or with an argument: 500 / 501, no TLS, the session goes on", async () => {
    const receiver = await startReceiver();
    const socket = await connectTo(receiver.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    // Nothing was offered yet: STARTTLS is unknown on this connection.
    expect((await smtpCommand(socket, "STARTTLS", { timeout: 5_000 })).code).toBe(500);
    await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    expect((await smtpCommand(socket, "STARTTLS now", { timeout: 5_000 })).code).toBe(501);
    // A plaintext HELO lists nothing, so it withdraws the offer.
    await smtpCommand(socket, "HELO edge01.contoso.com", { timeout: 5_000 });
    expect((await smtpCommand(socket, "STARTTLS", { timeout: 5_000 })).code).toBe(500);
    expect((await smtpCommand(socket, "QUIT", { timeout: 5_000 })).code).toBe(221);
    expect(receiver.errors).toEqual([]);
    await stillServing(receiver);
  });

  it("a refused EHLO (501) offers nothing: STARTTLS is unknown after it", async () => {
    const receiver = await startReceiver();
    const socket = await connectTo(receiver.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    expect((await smtpCommand(socket, "EHLO", { timeout: 5_000 })).code).toBe(501);
    expect((await smtpCommand(socket, "STARTTLS", { timeout: 5_000 })).code).toBe(500);
    socket.destroy();
    await stillServing(receiver);
  });
});
