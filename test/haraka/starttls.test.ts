// Next to Haraka's own `tls` plugin (STARTTLS with tls.ini's certificate), as a Haraka in front of
// Exchange would run: both keywords listed in plaintext, each handshake presenting its own
// certificate, and neither command accepted inside the other's TLS session (RFC 3207 §4.2: 503).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
  withDeadline,
} from "./support.js";

/** The certificate Haraka's tls plugin presents for STARTTLS: not the X-ANONYMOUSTLS one. */
const STARTTLS_CERT = "self-signed-newest";
const RECEIVER = fixture(RECEIVER_CERT).thumbprint;

/** DSA-style DH parameters in a fraction of a second (Haraka would spend minutes making its own). */
function dhparams(): string {
  const folder = mkdtempSync(join(tmpdir(), "haraka-dh-"));
  try {
    const file = join(folder, "dhparams.pem");
    execFileSync("openssl", ["dhparam", "-dsaparam", "-out", file, "2048"], { stdio: "ignore" });
    return readFileSync(file, "utf8");
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

let haraka: Haraka | undefined;

beforeAll(async () => {
  if (HARAKA_MISSING !== undefined) return;
  haraka = await startHaraka({
    plugins: ["tls", "exchange_anonymous_tls"],
    store: [RECEIVER_CERT],
    files: {
      "config/tls.ini": "[main]\nkey=tls_key.pem\ncert=tls_cert.pem\ndhparam=dhparams.pem\n",
      "config/tls_key.pem": fixture(STARTTLS_CERT).keyPem,
      "config/tls_cert.pem": fixture(STARTTLS_CERT).pem,
      "config/dhparams.pem": dhparams(),
    },
    ini: ["store={store}", `directory=${RECEIVER}`, `at=${NOW.toISOString()}`],
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

const thumbprintOf = (socket: { getPeerCertificate(): { fingerprint: string } }) =>
  socket.getPeerCertificate().fingerprint.replaceAll(":", "");

describe.skipIf(HARAKA_MISSING !== undefined)(
  "with Haraka's tls plugin (STARTTLS)",
  { timeout: 60_000 },
  () => {
    it("lists both STARTTLS and X-ANONYMOUSTLS in plaintext", async () => {
      const { socket, keywords } = await greeted(running().port);
      expect(keywords).toContain("STARTTLS");
      expect(keywords).toContain("X-ANONYMOUSTLS");
      expect((await smtpCommand(socket, "QUIT", { timeout: 10_000 })).code).toBe(221);
    });

    it("STARTTLS presents tls.ini's certificate; X-ANONYMOUSTLS inside it gets 503", async () => {
      const { socket } = await greeted(running().port);
      expect((await smtpCommand(socket, "STARTTLS", { timeout: 10_000 })).code).toBe(220);
      const tlsSocket = await withDeadline(clientHandshake(socket), 15_000, "handshake");
      expect(thumbprintOf(tlsSocket)).toBe(fixture(STARTTLS_CERT).thumbprint);
      const ehlo = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 10_000 });
      const keywords = ehlo.lines.map((line) => line.toUpperCase());
      expect(keywords).not.toContain("X-ANONYMOUSTLS");
      expect(keywords).not.toContain("STARTTLS");
      expect((await smtpCommand(tlsSocket, "X-ANONYMOUSTLS", { timeout: 10_000 })).code).toBe(503);
      expect((await smtpCommand(tlsSocket, "QUIT", { timeout: 10_000 })).code).toBe(221);
    });

    it("X-ANONYMOUSTLS presents the selection's certificate; STARTTLS inside it gets 503", async () => {
      const { socket } = await greeted(running().port);
      expect((await smtpCommand(socket, "X-ANONYMOUSTLS", { timeout: 10_000 })).code).toBe(220);
      const tlsSocket = await withDeadline(clientHandshake(socket), 15_000, "handshake");
      expect(thumbprintOf(tlsSocket)).toBe(RECEIVER);
      const ehlo = await smtpCommand(tlsSocket, "EHLO edge01.contoso.com", { timeout: 10_000 });
      const keywords = ehlo.lines.map((line) => line.toUpperCase());
      expect(keywords).not.toContain("STARTTLS");
      expect(keywords).not.toContain("X-ANONYMOUSTLS");
      expect((await smtpCommand(tlsSocket, "STARTTLS", { timeout: 10_000 })).code).toBe(503);
      // Still a working session inside TLS.
      expect((await smtpCommand(tlsSocket, "NOOP", { timeout: 10_000 })).code).toBe(250);
      expect((await smtpCommand(tlsSocket, "QUIT", { timeout: 10_000 })).code).toBe(221);
      expect(running().alive()).toBe(true);
    });
  },
);
