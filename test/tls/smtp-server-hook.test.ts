// Guards the one place where examples/anonymous-tls-server/server.ts reaches into smtp-server.
// smtp-server has no API for custom EHLO keywords or commands; if an upgrade of the package moves
// an internal the hook relies on, these tests fail here, by name, instead of the keyword silently
// disappearing from EHLO.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  createSecureContext,
  type SecureContext,
  type TLSSocketOptions,
  connect as tlsConnect,
} from "node:tls";

import { SMTPServer } from "smtp-server";
import * as connectionModule from "smtp-server/lib/smtp-connection.js";
import { describe, expect, it } from "vitest";

import {
  anonymousTlsServerView,
  assertSmtpServerHooks,
  installAnonymousTls,
} from "../../examples/anonymous-tls-server/server.js";
import { peerCertificateChain, smtpCommand } from "../../src/adapters/tls.js";
import { fixture, NOW } from "../support/fixtures.js";
import { closeEverythingAfterEach, ehloOn, startReceiver, track } from "./helpers.js";

closeEverythingAfterEach();

const require = createRequire(import.meta.url);
const installed = JSON.parse(readFileSync(require.resolve("smtp-server/package.json"), "utf8")) as {
  version: string;
};
const pinned = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    devDependencies: Record<string, string>;
  }
).devDependencies["smtp-server"];

const { SMTPConnection } = connectionModule;
// Runtime export marked @internal, so not in the package's .d.ts: typed here by what upgrade() uses.
const createTLSSocketOptions = (
  connectionModule as unknown as {
    createTLSSocketOptions: (server: object) => TLSSocketOptions & { isServer?: boolean };
  }
).createTLSSocketOptions;

function context(name: string): SecureContext {
  return createSecureContext({ cert: fixture(name).pem, key: fixture(name).keyPem });
}

describe(`the smtp-server internals the anonymous-TLS hook uses (installed ${installed.version})`, () => {
  it("the package is pinned to an exact version, and that version is installed", () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.version).toBe(pinned);
  });

  it("smtp-connection still exports createTLSSocketOptions, which upgrade() builds its TLS socket from", () => {
    expect(typeof createTLSSocketOptions).toBe("function");
    const upgrade = String(SMTPConnection.prototype.upgrade);
    expect(upgrade).toMatch(/createTLSSocketOptions\(this\._server\)/);
    expect(upgrade).toMatch(/new tls\.TLSSocket\(this\._socket, socketOptions\)/);
  });

  it("SMTPConnection still has the methods the hook wraps or calls", () => {
    const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
    for (const name of ["handler_EHLO", "handler_STARTTLS", "send", "upgrade", "_getHandler"]) {
      expect(typeof proto[name], name).toBe("function");
    }
  });

  it("commands dispatch to handler_<COMMAND> looked up on the connection itself", () => {
    const handler = () => {};
    const connection = { "handler_X-ANONYMOUSTLS": handler };
    expect(SMTPConnection.prototype._getHandler.call(connection, "X-ANONYMOUSTLS")).toBe(handler);
  });

  it("createTLSSocketOptions reads the certificate, SNI and client-certificate request from the server it is given", async () => {
    const server = new SMTPServer({
      logger: false,
      key: fixture("self-signed-old").keyPem,
      cert: fixture("self-signed-old").pem,
    });
    const anonymous = context("self-signed");
    const view = anonymousTlsServerView(server, anonymous);
    const options = createTLSSocketOptions(view);
    expect(options.secureContext).toBe(anonymous);
    expect(options.isServer).toBe(true);
    expect(options.requestCert).toBe(true);
    expect(options.rejectUnauthorized).toBe(false);
    const viaSni = await new Promise<SecureContext | undefined>((resolve, reject) => {
      options.SNICallback?.("hub01.contoso.com", (error, ctx) =>
        error ? reject(error) : resolve(ctx),
      );
    });
    expect(viaSni).toBe(anonymous);
    // The view changes nothing on the server itself (STARTTLS keeps its certificate).
    const plain = createTLSSocketOptions(server);
    expect(plain.secureContext).not.toBe(anonymous);
    expect(plain.requestCert).toBeUndefined();
    expect(view.options.disabledCommands).toBe(server.options.disabledCommands);
  });

  it("assertSmtpServerHooks accepts a real server and names what a changed one lacks", () => {
    expect(() => assertSmtpServerHooks(new SMTPServer({ logger: false }))).not.toThrow();
    const hollow = {} as unknown as SMTPServer;
    expect(() => assertSmtpServerHooks(hollow)).toThrow(/SMTPServer#connections/);
    expect(() =>
      installAnonymousTls(hollow, { offer: async () => null, onUpgraded() {}, onError() {} }),
    ).toThrow();
  });

  it("end to end: connect() registers the connection before its first command, EHLO answers with one 250 send, upgrade() uses the view", async () => {
    const receiver = await startReceiver({
      receiveConnector: { authMechanism: "ExchangeServer" },
      now: NOW,
      directory: {
        readInternalTransportCertificate: async () => fixture("self-signed").thumbprint,
      },
      store: {
        list: () => [
          {
            certificate: fixture("self-signed").der,
            hasPrivateKey: true,
            services: ["SMTP"],
            privateKey: fixture("self-signed").keyPem,
          },
        ],
      },
    });
    const { socket, keywords } = await ehloOn(receiver.port);
    expect(keywords.at(-1)).toBe("X-ANONYMOUSTLS");
    expect(receiver.ehlo).toHaveLength(1);
    // The upgrade presents the offered certificate (the view) and receives the client's
    // (requestCert), where smtp-server's own options would present the STARTTLS one and ask none.
    expect((await smtpCommand(socket, "X-ANONYMOUSTLS")).code).toBe(220);
    const tlsSocket = track(
      tlsConnect({
        socket,
        cert: fixture("self-signed-newest").pem,
        key: fixture("self-signed-newest").keyPem,
        rejectUnauthorized: false,
      }),
    );
    await new Promise((resolve, reject) => {
      tlsSocket.once("secureConnect", resolve);
      tlsSocket.once("error", reject);
    });
    expect(peerCertificateChain(tlsSocket)[0]?.thumbprint).toBe(fixture("self-signed").thumbprint);
    const seen = await receiver.nextSession();
    expect(seen.peerThumbprint).toBe(fixture("self-signed-newest").thumbprint);
    expect(receiver.errors).toEqual([]);
  });
});
