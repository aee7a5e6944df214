// The sending side against scripted servers: what a real receiver rarely does (replies split byte
// by byte, closing mid-reply, silence, refusing, injecting plaintext after the 220).
import type { Socket } from "node:net";

import { beforeAll, describe, expect, it } from "vitest";

import {
  type AnonymousTlsNegotiation,
  type NegotiateOptions,
  negotiateAnonymousTls,
  type Selection,
  SmtpSessionError,
  selectInboundAnonymousTlsCert,
  selectOutboundAnonymousTlsCert,
  smtpCommand,
} from "../../src/index.js";
import { directoryFor, edgeOptions, entry, memoryStore } from "../support/fixtures.js";
import { closeEverythingAfterEach, connectTo, scriptedServer, trickle } from "./helpers.js";

closeEverythingAfterEach();

const GREETING = "220 hub01.contoso.com ESMTP\r\n";
const EHLO_OFFERS =
  "250-hub01.contoso.com Hello\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 X-ANONYMOUSTLS\r\n";
const EHLO_PLAIN = "250-hub01.contoso.com Hello\r\n250-PIPELINING\r\n250 STARTTLS\r\n";

let selected: Selection;
let withoutKey: Selection;
let notAttempted: Selection;

beforeAll(async () => {
  const outbound = (name: string, withKey: boolean) =>
    selectOutboundAnonymousTlsCert({
      ...edgeOptions(),
      directory: directoryFor(name),
      store: memoryStore([entry(name, { withKey })]),
    });
  selected = await outbound("self-signed", true);
  withoutKey = await outbound("self-signed", false);
  notAttempted = await selectOutboundAnonymousTlsCert({
    ...edgeOptions(),
    sendConnector: { smartHostAuthMechanism: "BasicAuth", addressSpaces: ["SMTP:--;1"] },
    directory: directoryFor("self-signed"),
    store: memoryStore([entry("self-signed", { withKey: true })]),
  });
  expect(selected.outcome).toBe("selected");
  expect(withoutKey.outcome).toBe("selected");
  expect(notAttempted.outcome).toBe("not-attempted");
});

/** A receiver that greets, answers EHLO with `ehlo`, and then answers by `answers`. */
function receiver(ehlo: string, answers: Record<string, string> = {}) {
  return scriptedServer((socket, onLine) => {
    socket.write(GREETING);
    onLine((line) => {
      const verb = line.split(" ")[0]?.toUpperCase() ?? "";
      if (verb === "EHLO") socket.write(ehlo);
      else if (verb === "QUIT") socket.end("221 bye\r\n");
      else socket.write(answers[verb] ?? "500 unrecognized\r\n");
    });
  });
}

async function negotiate(
  port: number,
  selection: Selection,
  options: NegotiateOptions = {},
): Promise<{ socket: Socket; result: AnonymousTlsNegotiation }> {
  const socket = await connectTo(port);
  const result = await negotiateAnonymousTls(socket, selection, {
    ehloDomain: "edge01.contoso.com",
    timeout: 5000,
    ...options,
  });
  return { socket, result };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("negotiateAnonymousTls: outcomes that leave a plaintext session", () => {
  it("not-offered: the EHLO reply has no X-ANONYMOUSTLS; the session goes on", async () => {
    const server = await receiver(EHLO_PLAIN);
    const { result } = await negotiate(server.port, selected);
    expect(result).toMatchObject({ used: false, reason: "not-offered", offered: false });
    if (result.used) return;
    expect([...(result.ehlo?.keywords.keys() ?? [])]).toEqual(["PIPELINING", "STARTTLS"]);
    expect(await smtpCommand(result.socket, "QUIT")).toMatchObject({ code: 221 });
    expect(server.received).toEqual(["EHLO edge01.contoso.com", "QUIT"]);
  });

  it("a greeting and a multi-line EHLO reply that arrive one byte per packet", async () => {
    const server = await scriptedServer((socket, onLine) => {
      void trickle(socket, GREETING);
      onLine((line) => {
        if (line.startsWith("EHLO")) void trickle(socket, EHLO_PLAIN);
      });
    });
    const { result } = await negotiate(server.port, selected);
    expect(result).toMatchObject({ used: false, reason: "not-offered" });
    expect(result.ehlo?.domain).toBe("hub01.contoso.com");
    expect([...(result.ehlo?.keywords.keys() ?? [])]).toEqual(["PIPELINING", "STARTTLS"]);
  });

  it("replies the server sent ahead stay readable on the returned socket", async () => {
    const server = await receiver(`${EHLO_PLAIN}421 4.3.2 shutting down\r\n`);
    const { result } = await negotiate(server.port, selected);
    expect(result).toMatchObject({ used: false, reason: "not-offered" });
    if (result.used) return;
    expect(await smtpCommand(result.socket, null)).toEqual({
      code: 421,
      lines: ["4.3.2 shutting down"],
    });
  });

  it("R1–R15: no-certificate when the outbound selection did not select; the command is never sent", async () => {
    const server = await receiver(EHLO_OFFERS);
    const { result } = await negotiate(server.port, notAttempted);
    expect(result).toMatchObject({ used: false, reason: "no-certificate", offered: true });
    if (!result.used) expect(result.cause).toMatchObject({ code: "ERR_NOT_SELECTED" });
    expect(server.received).toEqual(["EHLO edge01.contoso.com"]);
  });

  it("A9: a certificate without its key is never offered: no-certificate, ERR_NO_PRIVATE_KEY", async () => {
    const server = await receiver(EHLO_OFFERS);
    const { result } = await negotiate(server.port, withoutKey);
    expect(result).toMatchObject({ used: false, reason: "no-certificate", offered: true });
    if (!result.used) expect(result.cause).toMatchObject({ code: "ERR_NO_PRIVATE_KEY" });
    expect(server.received).toEqual(["EHLO edge01.contoso.com"]);
  });

  it("refused: X-ANONYMOUSTLS answered 454; the session goes on", async () => {
    const server = await receiver(EHLO_OFFERS, {
      "X-ANONYMOUSTLS": "454 4.7.0 TLS not available\r\n",
    });
    const { result } = await negotiate(server.port, selected);
    expect(result).toMatchObject({ used: false, reason: "refused", reply: { code: 454 } });
    if (result.used) return;
    expect(await smtpCommand(result.socket, "QUIT")).toMatchObject({ code: 221 });
  });

  it("ehlo-rejected: EHLO answered 502", async () => {
    const server = await receiver("502 5.5.1 EHLO not implemented\r\n");
    const { result } = await negotiate(server.port, selected);
    expect(result).toMatchObject({ used: false, reason: "ehlo-rejected", ehlo: null });
  });

  it("readGreeting false: the caller has read the greeting itself", async () => {
    const server = await receiver(EHLO_PLAIN);
    const socket = await connectTo(server.port);
    expect(await smtpCommand(socket, null)).toMatchObject({ code: 220 });
    const result = await negotiateAnonymousTls(socket, selected, {
      ehloDomain: "edge01.contoso.com",
      readGreeting: false,
    });
    expect(result).toMatchObject({ used: false, reason: "not-offered" });
  });
});

describe("negotiateAnonymousTls: a session that cannot go on rejects and destroys the socket", () => {
  const failures: { name: string; script: Parameters<typeof scriptedServer>[0]; code: string }[] = [
    {
      name: "the server closes in the middle of the EHLO reply",
      script: (socket, onLine) => {
        socket.write(GREETING);
        onLine(() => socket.end("250-hub01.contoso.com\r\n250-PIPE"));
      },
      code: "ERR_SMTP_CLOSED",
    },
    {
      name: "the server closes right after the greeting",
      script: (socket) => socket.end(GREETING),
      code: "ERR_SMTP_CLOSED",
    },
    {
      name: "the greeting is 554",
      script: (socket) => socket.write("554 5.3.2 no service\r\n"),
      code: "ERR_SMTP_GREETING",
    },
    {
      name: "the server answers with something that is not SMTP",
      script: (socket) => socket.write("HTTP/1.1 400 Bad Request\r\n"),
      code: "ERR_SMTP_PROTOCOL",
    },
    {
      name: "a multi-line reply changes its code",
      script: (socket, onLine) => {
        socket.write(GREETING);
        onLine(() => socket.write("250-hub01\r\n550 X-ANONYMOUSTLS\r\n"));
      },
      code: "ERR_SMTP_PROTOCOL",
    },
    {
      name: "RFC 3207 §5: plaintext after the 220, before the handshake",
      script: (socket, onLine) => {
        socket.write(GREETING);
        onLine((line) => {
          if (line.startsWith("EHLO")) socket.write(EHLO_OFFERS);
          else socket.write("220 go ahead\r\n250 injected\r\n");
        });
      },
      code: "ERR_SMTP_PROTOCOL",
    },
    {
      name: "the TLS handshake fails (the server answers the ClientHello in plaintext)",
      script: (socket, onLine) => {
        socket.write(GREETING);
        let upgraded = false;
        onLine((line) => {
          if (line.startsWith("EHLO")) socket.write(EHLO_OFFERS);
          else if (line === "X-ANONYMOUSTLS") {
            upgraded = true;
            socket.write("220 go ahead\r\n");
            socket.once("data", () => socket.write("500 what is this\r\n"));
          } else if (upgraded) socket.write("500 what is this\r\n");
        });
      },
      code: "ERR_TLS_HANDSHAKE",
    },
    {
      name: "the server closes after the 220",
      script: (socket, onLine) => {
        socket.write(GREETING);
        onLine((line) => {
          if (line.startsWith("EHLO")) socket.write(EHLO_OFFERS);
          else socket.end("220 go ahead\r\n");
        });
      },
      code: "ERR_TLS_HANDSHAKE",
    },
  ];
  for (const { name, script, code } of failures) {
    it(`${code}: ${name}`, async () => {
      const server = await scriptedServer(script);
      const socket = await connectTo(server.port);
      const error = await rejection(
        negotiateAnonymousTls(socket, selected, { ehloDomain: "edge01", timeout: 5000 }),
      );
      expect(error).toBeInstanceOf(SmtpSessionError);
      // The server's FIN may arrive before or after the handshake starts: either code is right.
      if (name.includes("closes after the 220")) {
        expect((error as SmtpSessionError).code).toMatch(/^ERR_(TLS_HANDSHAKE|SMTP_CLOSED)$/);
      } else {
        expect(error).toMatchObject({ code });
      }
      expect(socket.destroyed).toBe(true);
    });
  }

  it("ERR_SMTP_TIMEOUT: a server that never answers", async () => {
    const server = await scriptedServer(() => {});
    const socket = await connectTo(server.port);
    const started = Date.now();
    const error = await rejection(negotiateAnonymousTls(socket, selected, { timeout: 150 }));
    expect(error).toMatchObject({ code: "ERR_SMTP_TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(socket.destroyed).toBe(true);
  });

  it("the greeting carries its reply on ERR_SMTP_GREETING", async () => {
    const server = await scriptedServer((socket) => socket.write("554 5.3.2 no service\r\n"));
    const socket = await connectTo(server.port);
    const error = await rejection(negotiateAnonymousTls(socket, selected));
    expect(error).toMatchObject({ reply: { code: 554, lines: ["5.3.2 no service"] } });
  });

  it("an abort rejects with the signal's reason", async () => {
    const server = await scriptedServer(() => {});
    const socket = await connectTo(server.port);
    const controller = new AbortController();
    const reason = new Error("shutting down");
    setTimeout(() => controller.abort(reason), 20);
    const error = await rejection(
      negotiateAnonymousTls(socket, selected, { signal: controller.signal }),
    );
    expect(error).toBe(reason);
    expect(socket.destroyed).toBe(true);
  });

  it("an already aborted signal rejects before anything is sent", async () => {
    const server = await receiver(EHLO_OFFERS);
    const socket = await connectTo(server.port);
    const error = await rejection(
      negotiateAnonymousTls(socket, selected, { signal: AbortSignal.abort("stop") }),
    );
    expect(error).toBe("stop");
    expect(server.received).toEqual([]);
  });
});

describe("negotiateAnonymousTls: misuse", () => {
  it("an EHLO argument that would inject a command is a TypeError", async () => {
    const server = await receiver(EHLO_PLAIN);
    const socket = await connectTo(server.port);
    await expect(
      negotiateAnonymousTls(socket, selected, { ehloDomain: "x\r\nRCPT TO:<a@b>" }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(negotiateAnonymousTls(socket, selected, { timeout: -1 })).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(smtpCommand(socket, "NOOP\r\nQUIT")).rejects.toBeInstanceOf(TypeError);
  });

  it("an inbound selection works too (the chain is the same shape)", async () => {
    const inbound = await selectInboundAnonymousTlsCert({
      receiveConnector: { authMechanism: "ExchangeServer" },
      directory: directoryFor("self-signed"),
      store: memoryStore([entry("self-signed", { withKey: true })]),
    });
    const server = await receiver(EHLO_PLAIN);
    const { result } = await negotiate(server.port, inbound);
    expect(result).toMatchObject({ used: false, reason: "not-offered" });
  });
});
