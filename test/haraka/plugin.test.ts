// The Haraka plugin against a real Haraka 3.3.4 (a devDependency) started in a temporary folder:
// X-ANONYMOUSTLS listed exactly when the inbound selection (I1–I4) chose a certificate, the
// handshake presenting that certificate, the selection's decision and handshake in Haraka's log,
// and hostile clients that end only their own connection while Haraka keeps serving.
import { connect as netConnect } from "node:net";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { negotiateAnonymousTls, smtpCommand } from "../../src/adapters/tls.js";
import { selectOutboundAnonymousTlsCert } from "../../src/index.js";
import {
  directoryFor,
  edgeOptions,
  entry,
  fixture,
  memoryStore,
  NOW,
} from "../support/fixtures.js";
import {
  captureClientHello,
  clientHandshake,
  closed,
  connectTo,
  destroyClients,
  greeted,
  HARAKA_MISSING,
  type Haraka,
  RECEIVER_CERT,
  SENDER_CERT,
  startHaraka,
  upToHandshake,
  wellBehavedSession,
  withDeadline,
} from "./support.js";

const RECEIVER = fixture(RECEIVER_CERT).thumbprint;
const SENDER = fixture(SENDER_CERT).thumbprint;

let haraka: Haraka | undefined;

beforeAll(async () => {
  if (HARAKA_MISSING !== undefined) return;
  haraka = await startHaraka({
    store: [RECEIVER_CERT],
    ini: [
      "store={store}",
      `directory=${RECEIVER}`,
      "auth_mechanism=Tls, ExchangeServer",
      `at=${NOW.toISOString()}`,
      "handshake_timeout=2",
    ],
  });
}, 90_000);

afterAll(async () => {
  if (process.env.HARAKA_TEST_LOG !== undefined) {
    (await import("node:fs")).writeFileSync(process.env.HARAKA_TEST_LOG, haraka?.log() ?? "");
  }
  await haraka?.stop();
}, 30_000);

afterEach(() => {
  destroyClients();
});

/** The Haraka beforeAll started (it throws there, failing every test, if it does not start). */
function running(): Haraka {
  if (haraka === undefined) throw new Error("Haraka was not started");
  return haraka;
}

describe.skipIf(HARAKA_MISSING !== undefined)(
  "the Haraka plugin on a real Haraka",
  { timeout: 60_000 },
  () => {
    it("logs the start-up selection (phase startup) with the directory's certificate", async () => {
      const h = running();
      await h.waitForLog(new RegExp(`start-up selection: X-ANONYMOUSTLS with ${RECEIVER}`), 20_000);
    });

    it("lists X-ANONYMOUSTLS, answers 220, and presents the selected certificate", async () => {
      const h = running();
      const from = h.log().length;
      await wellBehavedSession(h);
      await h.waitForLog(
        new RegExp(`X-ANONYMOUSTLS offered, certificate ${RECEIVER}`),
        10_000,
        from,
      );
      await h.waitForLog(
        new RegExp(`X-ANONYMOUSTLS TLSv1\\.[23]: presented ${RECEIVER}, peer ${SENDER}`),
        10_000,
        from,
      );
    });

    it("the library's own sender (negotiateAnonymousTls) sees the selection's thumbprint", async () => {
      const h = running();
      const outbound = await selectOutboundAnonymousTlsCert({
        ...edgeOptions(),
        directory: directoryFor(SENDER_CERT),
        store: memoryStore([entry(SENDER_CERT, { withKey: true })]),
      });
      expect(outbound.outcome).toBe("selected");
      const socket = netConnect(h.port, "127.0.0.1");
      socket.on("error", () => {});
      const result = await negotiateAnonymousTls(socket, outbound, {
        ehloDomain: "edge01.contoso.com",
        timeout: 15_000,
      });
      expect(result.used).toBe(true);
      if (!result.used) return;
      expect(result.peerThumbprint).toBe(RECEIVER);
      const quit = await smtpCommand(result.tlsSocket, "QUIT", { timeout: 10_000 });
      expect(quit.code).toBe(221);
      result.tlsSocket.destroy();
    });

    it("X-ANONYMOUSTLS before EHLO is not a command (500); with an argument, 501", async () => {
      const h = running();
      const socket = await connectTo(h.port);
      expect((await smtpCommand(socket, null, { timeout: 10_000 })).code).toBe(220);
      expect((await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 10_000 })).code).toBe(500);
      const { socket: other } = await greeted(h.port);
      expect((await smtpCommand(other, "X-ANONYMOUSTLS now", { timeout: 10_000 })).code).toBe(501);
      // Still offered afterwards: the refused command consumed nothing.
      expect((await smtpCommand(other, "X-ANONYMOUSTLS", { timeout: 10_000 })).code).toBe(220);
      await wellBehavedSession(h);
    });

    it("plaintext after the 220 ends that connection only", async () => {
      const h = running();
      const from = h.log().length;
      const socket = await upToHandshake(h.port);
      socket.write("EHLO plaintext.example\r\nMAIL FROM:<a@b>\r\n");
      await closed(socket);
      await h.waitForLog(
        /X-ANONYMOUSTLS handshake failed from 127\.0\.0\.1:\d+: ERR_SSL/,
        10_000,
        from,
      );
      expect(h.alive()).toBe(true);
      await wellBehavedSession(h);
    });

    it.for(["TLSv1", "TLSv1.1"] as const)(
      "a %s ClientHello is refused (TLS 1.2 floor), that connection ends",
      async (maxVersion) => {
        const h = running();
        const from = h.log().length;
        const socket = await upToHandshake(h.port);
        // SECLEVEL=0 lets this OpenSSL build send an old hello at all.
        await expect(
          withDeadline(
            clientHandshake(socket, { maxVersion, ciphers: "DEFAULT@SECLEVEL=0" }),
            15_000,
            "no answer",
          ),
        ).rejects.toThrow();
        await closed(socket);
        await h.waitForLog(/X-ANONYMOUSTLS handshake failed from 127\.0\.0\.1:\d+/, 10_000, from);
        await wellBehavedSession(h);
      },
    );

    it("garbage instead of a ClientHello ends that connection", async () => {
      const h = running();
      const from = h.log().length;
      const socket = await upToHandshake(h.port);
      socket.write(
        Buffer.concat([Buffer.from([0x99, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 7)]),
      );
      await closed(socket);
      await h.waitForLog(/X-ANONYMOUSTLS handshake failed from 127\.0\.0\.1:\d+/, 10_000, from);
      await wellBehavedSession(h);
    });

    it("a client that closes mid-handshake (after the ServerHello) ends only itself", async () => {
      const h = running();
      const from = h.log().length;
      const hello = await captureClientHello();
      const socket = await upToHandshake(h.port);
      const serverHello = new Promise((resolve) => socket.once("data", resolve));
      socket.resume();
      socket.write(hello);
      await withDeadline(serverHello, 10_000, "no ServerHello");
      socket.destroy();
      await h.waitForLog(
        /X-ANONYMOUSTLS: 127\.0\.0\.1:\d+ closed the connection mid-handshake/,
        10_000,
        from,
      );
      expect(h.alive()).toBe(true);
      await wellBehavedSession(h);
    });

    it("a ClientHello then silence: closed after handshake_timeout", async () => {
      const h = running();
      const from = h.log().length;
      const hello = await captureClientHello();
      const socket = await upToHandshake(h.port);
      const started = Date.now();
      socket.write(hello);
      await closed(socket, 20_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      await h.waitForLog(/X-ANONYMOUSTLS: no handshake within 2 s/, 10_000, from);
      await wellBehavedSession(h);
    });

    it("X-ANONYMOUSTLS pipelined twice in plaintext: one 220, the second line never runs", async () => {
      const h = running();
      const { socket } = await greeted(h.port);
      socket.write("X-ANONYMOUSTLS\r\nX-ANONYMOUSTLS\r\n");
      const go = await smtpCommand(socket, null, { timeout: 10_000 });
      expect(go.code).toBe(220);
      const tlsSocket = await withDeadline(clientHandshake(socket), 15_000, "handshake");
      expect(tlsSocket.getPeerCertificate().fingerprint.replaceAll(":", "")).toBe(RECEIVER);
      const again = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 10_000 });
      expect(again.code).toBe(250);
      tlsSocket.destroy();
      await wellBehavedSession(h);
    });

    it("after all of the above, Haraka is still the same process and never logged a crash", () => {
      const h = running();
      expect(h.alive()).toBe(true);
      expect(h.log()).not.toMatch(/Caught exception|Unhandled 'error'|\[CRIT\]/);
    });
  },
);
