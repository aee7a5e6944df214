// Issue 14, item 2: no client can crash the receiver or starve the others. Each hostile client is
// its own case, with real sockets on 127.0.0.1; each asserts that its error ended that session
// only, reached onError with the session's identity (the client's port), and that a well-behaved
// anonymous-TLS session (I1–I4 selection, handshake, EHLO inside TLS, QUIT) completes afterwards.
// The STARTTLS cases (STARTTLS then plaintext, X-ANONYMOUSTLS after STARTTLS…) are in
// hostile-starttls.test.ts.
// An 'error' event nobody handles would throw out of the event loop and fail the run (vitest
// reports uncaught errors), which is how the example server used to die.
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

import { describe, expect, it } from "vitest";

import { smtpCommand } from "../../src/adapters/tls.js";
import {
  captureClientHello,
  clientHandshake,
  closed,
  closeEverythingAfterEach,
  connectTo,
  expectIdentityOf,
  startReceiver,
  upToHandshake,
  wellBehavedSession,
  withDeadline,
} from "./support.js";

closeEverythingAfterEach();

describe("hostile clients end their own session only (issue 14)", () => {
  it("plaintext after the 220 to X-ANONYMOUSTLS: ERR_SESSION_TLS for that session", async () => {
    const receiver = await startReceiver();
    const socket = await upToHandshake(receiver.port);
    const port = socket.localPort;
    socket.write("EHLO edge01.contoso.com\r\n");
    await closed(socket);
    const error = await receiver.nextError("ERR_SESSION_TLS");
    expectIdentityOf(error, port);
    expect(error.cause).toBeInstanceOf(Error);
    await wellBehavedSession(receiver);
  });

  it.each([
    ["TLSv1", "TLSv1"],
    ["TLSv1.1", "TLSv1.1"],
  ] as const)(
    "a %s ClientHello is refused (the floor is TLS 1.2): ERR_SESSION_TLS",
    async (_, maxVersion) => {
      const receiver = await startReceiver();
      const socket = await upToHandshake(receiver.port);
      const port = socket.localPort;
      // SECLEVEL=0 lets this OpenSSL build send an old hello at all.
      await expect(
        clientHandshake(socket, { maxVersion, ciphers: "DEFAULT@SECLEVEL=0" }),
      ).rejects.toThrow();
      const error = await receiver.nextError("ERR_SESSION_TLS");
      expectIdentityOf(error, port);
      await wellBehavedSession(receiver);
    },
  );

  it("garbage instead of a ClientHello: ERR_SESSION_TLS", async () => {
    const receiver = await startReceiver();
    const socket = await upToHandshake(receiver.port);
    const port = socket.localPort;
    // A TLS record header of an unknown content type, then noise.
    socket.write(Buffer.concat([Buffer.from([0x99, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 7)]));
    await closed(socket);
    expectIdentityOf(await receiver.nextError("ERR_SESSION_TLS"), port);
    await wellBehavedSession(receiver);
  });

  it("a ClientHello then silence: ERR_SESSION_HANDSHAKE_TIMEOUT after handshakeTimeout, socket closed", async () => {
    const receiver = await startReceiver({ handshakeTimeout: 300 });
    const hello = await captureClientHello();
    const socket = await upToHandshake(receiver.port);
    const port = socket.localPort;
    const started = Date.now();
    socket.write(hello);
    await closed(socket, 5_000);
    const error = await receiver.nextError("ERR_SESSION_HANDSHAKE_TIMEOUT");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expectIdentityOf(error, port);
    // One report for the session, not a second ERR_SESSION_TLS for the same failure.
    await sleep(100);
    expect(receiver.errors.map((e) => e.code)).toEqual(["ERR_SESSION_HANDSHAKE_TIMEOUT"]);
    await wellBehavedSession(receiver);
  });

  it("a client that closes mid-handshake (after the ServerHello): ERR_SESSION_TLS", async () => {
    const receiver = await startReceiver();
    const hello = await captureClientHello();
    const socket = await upToHandshake(receiver.port);
    const port = socket.localPort;
    const serverHello = new Promise((resolve) => socket.once("data", resolve));
    // smtpCommand hands the socket back paused.
    socket.resume();
    socket.write(hello);
    await withDeadline(serverHello, 5_000, "no ServerHello");
    socket.end();
    await closed(socket);
    expectIdentityOf(await receiver.nextError("ERR_SESSION_TLS"), port);
    expect(receiver.errors).toHaveLength(1);
    await wellBehavedSession(receiver);
  });

  it.each([
    ["before EHLO", ""],
    ["as an EHLO argument", "EHLO "],
  ])(
    "a 1 MB line %s: 421 and ERR_SESSION_PROTOCOL (smtp-server's 16 KiB command limit)",
    async (_, prefix) => {
      const receiver = await startReceiver();
      const socket = await connectTo(receiver.port);
      const port = socket.localPort;
      await smtpCommand(socket, null, { timeout: 5_000 });
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
      });
      socket.write(`${prefix}${"a".repeat(1024 * 1024)}\r\n`);
      await closed(socket);
      expect(received).toMatch(/^421 /m);
      expectIdentityOf(await receiver.nextError("ERR_SESSION_PROTOCOL"), port);
      await wellBehavedSession(receiver);
    },
  );

  it("1,000 concurrent idle connections: at most maxConnections held, and new sessions are still served", async () => {
    const receiver = await startReceiver();
    const held = () => receiver.server.smtp.connections.size;
    const idle: Socket[] = [];
    // The default bound is 1,000: the flood fills it exactly, then real sessions must displace.
    for (let batch = 0; batch < 10; batch++) {
      idle.push(
        ...(await Promise.all(Array.from({ length: 100 }, () => connectTo(receiver.port)))),
      );
    }
    await withDeadline(
      (async () => {
        while (held() < 1_000) await sleep(20);
      })(),
      10_000,
      `only ${held()} connections registered`,
    );
    expect(held()).toBe(1_000);
    // Idle, but reading: a closed one is seen as closed, and what it was told is kept.
    const replies = new Map<Socket, string>();
    for (const socket of idle) {
      socket.on("data", (chunk: Buffer) => {
        replies.set(socket, (replies.get(socket) ?? "") + chunk.toString("latin1"));
      });
    }
    // Three well-behaved sessions while all 1,000 idle sockets are still open on our side.
    for (let i = 0; i < 3; i++) await wellBehavedSession(receiver);
    expect(held()).toBeLessThanOrEqual(1_000);
    // The first real session displaced one idle connection (told 421, closed); its QUIT freed the
    // slot the next two used, so nothing else was closed.
    const displaced = () => idle.filter((s) => s.destroyed).length;
    await withDeadline(
      (async () => {
        while (displaced() < 1) await sleep(20);
      })(),
      5_000,
      "no idle connection was closed",
    );
    await sleep(200);
    expect(displaced()).toBe(1);
    // It was the oldest held connection, told why: 421 after its greeting.
    const victim = idle.find((s) => s.destroyed)!;
    expect(replies.get(victim)).toMatch(/\r\n421 Too many connections, closing an idle one\r\n$/);
    expect(receiver.errors).toEqual([]);
  }, 60_000);

  it("with a lower maxConnections, a flood of 1,000 never holds more than it", async () => {
    const receiver = await startReceiver({ maxConnections: 50 });
    const held = () => receiver.server.smtp.connections.size;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, held());
    }, 5);
    try {
      for (let batch = 0; batch < 10; batch++) {
        await Promise.all(Array.from({ length: 100 }, () => connectTo(receiver.port)));
        peak = Math.max(peak, held());
      }
      await sleep(200);
      await wellBehavedSession(receiver);
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeLessThanOrEqual(50);
    expect(peak).toBeGreaterThan(0);
  }, 60_000);

  it("X-ANONYMOUSTLS twice, the second inside TLS: 503, and the session goes on", async () => {
    const receiver = await startReceiver();
    const socket = await upToHandshake(receiver.port);
    const tlsSocket = await clientHandshake(socket);
    expect((await smtpCommand(tlsSocket, "X-ANONYMOUSTLS", { timeout: 5_000 })).code).toBe(503);
    const ehlo = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    expect(ehlo.lines.slice(1)).not.toContain("X-ANONYMOUSTLS");
    // After EHLO inside TLS the command is gone from the session altogether.
    expect((await smtpCommand(tlsSocket, "X-ANONYMOUSTLS", { timeout: 5_000 })).code).toBe(500);
    expect((await smtpCommand(tlsSocket, "QUIT", { timeout: 5_000 })).code).toBe(221);
    expect(receiver.errors).toEqual([]);
    await wellBehavedSession(receiver);
  });

  it("X-ANONYMOUSTLS twice, pipelined in plaintext: one 220, the second line is never run", async () => {
    const receiver = await startReceiver();
    const socket = await connectTo(receiver.port);
    await smtpCommand(socket, null, { timeout: 5_000 });
    await smtpCommand(socket, "EHLO edge01.contoso.com", { timeout: 5_000 });
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.resume();
    socket.write("X-ANONYMOUSTLS\r\nX-ANONYMOUSTLS\r\n");
    await sleep(300);
    // The second command arrived after the 220, where only TLS may follow: it is discarded with
    // the retired plaintext parser (RFC 3207 §5 command injection), never answered.
    expect(received).toBe("220 Ready to start anonymous TLS\r\n");
    socket.destroy();
    await wellBehavedSession(receiver);
  });

  it("a callback that throws (onEhlo) is reported as ERR_SESSION_CALLBACK; the session goes on", async () => {
    const receiver = await startReceiver({
      onEhlo: () => {
        throw new Error("boom");
      },
    });
    const session = await wellBehavedSession(receiver);
    expect(receiver.errors.map((e) => e.code)).toEqual(["ERR_SESSION_CALLBACK"]);
    expect(receiver.errors[0]?.session?.id).toBe(session.session.id);
    expect(receiver.errors[0]?.cause).toMatchObject({ message: "boom" });
  });
});

describe("an error before the greeting still names the client (review fix)", () => {
  it("a 1 MB line sent at connect, before the 220 is read: the error carries address and port", async () => {
    const receiver = await startReceiver();
    const socket = await connectTo(receiver.port);
    const port = socket.localPort;
    socket.write(`${"a".repeat(1024 * 1024)}\r\n`);
    await closed(socket);
    expectIdentityOf(await receiver.nextError("ERR_SESSION_PROTOCOL"), port);
    await wellBehavedSession(receiver);
  });
});
