// Review fixes of the Haraka plugin against a real Haraka: the .ini's min_version is the TLS
// floor of the X-ANONYMOUSTLS handshake, and a HELO after an EHLO withdraws the EHLO's offer
// (HELO lists no extensions), as the smtp-server receiver does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { smtpCommand } from "../../src/adapters/tls.js";
import { fixture, NOW } from "../support/fixtures.js";
import {
  clientHandshake,
  destroyClients,
  greeted,
  HARAKA_MISSING,
  type Haraka,
  RECEIVER_CERT,
  startHaraka,
  upToHandshake,
  wellBehavedSession,
} from "./support.js";

let haraka: Haraka | undefined;

beforeAll(async () => {
  if (HARAKA_MISSING !== undefined) return;
  haraka = await startHaraka({
    store: [RECEIVER_CERT],
    ini: [
      "store={store}",
      `directory=${fixture(RECEIVER_CERT).thumbprint}`,
      `at=${NOW.toISOString()}`,
      "handshake_timeout=2",
      "min_version=TLSv1.3",
    ],
  });
}, 90_000);

afterAll(async () => {
  await haraka?.stop();
}, 30_000);

afterEach(() => {
  destroyClients();
});

function running(): Haraka {
  if (haraka === undefined) throw new Error("Haraka was not started");
  return haraka;
}

describe.skipIf(HARAKA_MISSING !== undefined)(
  "Haraka plugin review fixes",
  { timeout: 60_000 },
  () => {
    it("min_version=TLSv1.3: a client that stops at TLS 1.2 gets no handshake; a TLS 1.3 one does", async () => {
      const h = running();
      const socket = await upToHandshake(h.port);
      await expect(clientHandshake(socket, { maxVersion: "TLSv1.2" })).rejects.toThrow();
      const ok = await clientHandshake(await upToHandshake(h.port));
      expect(ok.getProtocol()).toBe("TLSv1.3");
      await wellBehavedSession(h);
    });

    it("a HELO after the EHLO withdraws the offer: X-ANONYMOUSTLS is then unknown (500)", async () => {
      const h = running();
      const { socket, keywords } = await greeted(h.port);
      expect(keywords).toContain("X-ANONYMOUSTLS");
      const helo = await smtpCommand(socket, "HELO edge01.contoso.com", { timeout: 10_000 });
      expect(helo.code).toBe(250);
      const refused = await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 10_000 });
      expect(refused.code).toBe(500);
      await wellBehavedSession(h);
    });
  },
);
