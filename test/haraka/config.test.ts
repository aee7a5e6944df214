// The plugin's other configurations on a real Haraka: a gate that fails (I1: AuthMechanism
// without ExchangeServer) and a certificate without its key (A9) list no X-ANONYMOUSTLS and say
// why in the log; a snapshot names the connector and the directory while a folder store holds the
// keys; a bad .ini stops Haraka at start-up with every problem named.
import { afterAll, afterEach, describe, expect, it } from "vitest";

import { smtpCommand } from "../../src/adapters/tls.js";
import { fixture, NOW } from "../support/fixtures.js";
import {
  destroyClients,
  greeted,
  HARAKA_MISSING,
  type Haraka,
  RECEIVER_CERT,
  startHaraka,
  wellBehavedSession,
} from "./support.js";

const RECEIVER = fixture(RECEIVER_CERT).thumbprint;
const started: Haraka[] = [];

afterEach(() => {
  destroyClients();
});

afterAll(async () => {
  for (const haraka of started.splice(0)) await haraka.stop();
}, 30_000);

async function harakaWith(setup: Parameters<typeof startHaraka>[0]): Promise<Haraka> {
  const haraka = await startHaraka(setup);
  started.push(haraka);
  return haraka;
}

describe.skipIf(HARAKA_MISSING !== undefined)(
  "the Haraka plugin's configurations",
  { timeout: 120_000 },
  () => {
    it("I1: AuthMechanism without ExchangeServer lists no X-ANONYMOUSTLS, and the command is unknown (500)", async () => {
      const h = await harakaWith({
        store: [RECEIVER_CERT],
        ini: [
          "store={store}",
          `directory=${RECEIVER}`,
          "auth_mechanism=Tls",
          `at=${NOW.toISOString()}`,
        ],
      });
      await h.waitForLog(/start-up selection: no X-ANONYMOUSTLS \(gate I1 not met\)/, 20_000);
      const { socket, keywords } = await greeted(h.port);
      expect(keywords).not.toContain("X-ANONYMOUSTLS");
      expect((await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 10_000 })).code).toBe(500);
      await h.waitForLog(/X-ANONYMOUSTLS not offered \(gate I1 not met\)/, 10_000);
      expect((await smtpCommand(socket, "QUIT", { timeout: 10_000 })).code).toBe(221);
      expect(h.alive()).toBe(true);
    });

    it("A9: the directory's certificate without its key lists no X-ANONYMOUSTLS", async () => {
      const h = await harakaWith({
        files: { [`store/${RECEIVER_CERT}.pem`]: fixture(RECEIVER_CERT).pem },
        ini: ["store=../store", `directory=${RECEIVER}`, `at=${NOW.toISOString()}`],
      });
      const { socket, keywords } = await greeted(h.port);
      expect(keywords).not.toContain("X-ANONYMOUSTLS");
      await h.waitForLog(/X-ANONYMOUSTLS not offered \(no-private-key/, 10_000);
      // The selection's event, at its level, through Haraka's logger with the connection's id.
      await h.waitForLog(
        /\[ERROR\] \[[0-9A-F-]+\] \[exchange_anonymous_tls\] event 12013 CannotLoadInternalTransportCertificateFromStore/,
        10_000,
      );
      expect((await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 10_000 })).code).toBe(500);
      expect(h.alive()).toBe(true);
    });

    it("a snapshot (connector, directory) with a folder store (keys), relative to config/", async () => {
      const snapshot = {
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        directory: { thumbprint: RECEIVER },
        store: [],
      };
      const h = await harakaWith({
        store: [RECEIVER_CERT],
        files: { "config/snapshot.json": JSON.stringify(snapshot) },
        ini: ["snapshot=snapshot.json", "store={store}", `at=${NOW.toISOString()}`],
      });
      await h.waitForLog(new RegExp(`start-up selection: X-ANONYMOUSTLS with ${RECEIVER}`), 20_000);
      await wellBehavedSession(h);
    });

    it("I2/R5: an empty msExchServerInternalTLSCert logs 12012 at start-up only; EHLOs say directory-empty", async () => {
      const snapshot = {
        receiveConnector: { authMechanism: "Tls, ExchangeServer" },
        directory: null,
        store: [],
      };
      const h = await harakaWith({
        store: [RECEIVER_CERT],
        files: { "config/snapshot.json": JSON.stringify(snapshot) },
        ini: ["snapshot=snapshot.json", "store={store}", `at=${NOW.toISOString()}`],
      });
      await h.waitForLog(/start-up selection: no X-ANONYMOUSTLS \(directory-empty\)/, 20_000);
      expect(h.log()).toMatch(
        /\[ERROR\] \[-\] \[exchange_anonymous_tls\] event 12012 InternalTransportCertificateMissingInAD/,
      );
      const from = h.log().length;
      const { socket, keywords } = await greeted(h.port);
      expect(keywords).not.toContain("X-ANONYMOUSTLS");
      await h.waitForLog(/X-ANONYMOUSTLS not offered \(directory-empty\)/, 10_000, from);
      expect(h.log().slice(from)).not.toMatch(/event 12012/);
      expect((await smtpCommand(socket, "QUIT", { timeout: 10_000 })).code).toBe(221);
    });

    it("a snapshot that cannot be read: logged, never offered, Haraka keeps serving", async () => {
      const h = await harakaWith({
        store: [RECEIVER_CERT],
        ini: ["snapshot=missing.json", "store={store}"],
      });
      await h.waitForLog(
        /cannot set up X-ANONYMOUSTLS, it will not be offered: .*missing\.json/,
        20_000,
      );
      const { socket, keywords } = await greeted(h.port);
      expect(keywords).not.toContain("X-ANONYMOUSTLS");
      expect((await smtpCommand(socket, "QUIT", { timeout: 10_000 })).code).toBe(221);
      expect(h.alive()).toBe(true);
    });

    it("options in code (createHarakaPlugin): a directory that never answers gets the EHLO answered, without the keyword, before Haraka's hook timeout", async () => {
      // The plugin file a user writes to configure the plugin in code instead of by the .ini.
      const pluginFile = `
const { readFileSync } = require("node:fs");
const { createHarakaPlugin } = require({entry});
const p = createHarakaPlugin({
  selection: {
    receiveConnector: { authMechanism: "Tls, ExchangeServer" },
    directory: { readInternalTransportCertificate: () => new Promise(() => {}) },
    store: { list: async () => [] },
  },
});
for (const k in p) exports[k] = p[k];
`;
      const h = await harakaWith({
        // Haraka's hook timeout for this plugin: 3 s, so the selection's deadline is 2 s.
        files: {
          "plugins/exchange_anonymous_tls.js": pluginFile,
          "config/exchange_anonymous_tls.timeout": "3\n",
        },
        ini: [],
      });
      const started = Date.now();
      const { socket, keywords } = await greeted(h.port);
      expect(keywords).not.toContain("X-ANONYMOUSTLS");
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      await h.waitForLog(
        /X-ANONYMOUSTLS not offered: the selection did not finish within 2 s/,
        10_000,
      );
      expect(h.log()).not.toMatch(/timed out on hook capabilities/);
      expect((await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 10_000 })).code).toBe(500);
      expect((await smtpCommand(socket, "QUIT", { timeout: 10_000 })).code).toBe(221);
      expect(h.alive()).toBe(true);
    });

    it("a bad .ini stops Haraka at start-up, naming every problem", async () => {
      const h = await startHaraka({
        ini: ["store=./certs", "edition=2013", "handshake_timeout=-1", "colour=blue"],
        expectExit: true,
      });
      started.push(h);
      expect(h.alive()).toBe(false);
      const log = h.log();
      expect(log).toMatch(/exchange_anonymous_tls\.ini/);
      expect(log).toMatch(/store without snapshot needs directory=/);
      expect(log).toMatch(/edition: "2013" is neither 2007 nor 2016/);
      expect(log).toMatch(/handshake_timeout: "-1"/);
      expect(log).toMatch(/colour: unknown setting/);
    });
  },
);
