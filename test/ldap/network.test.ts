// LdapDirectory against servers that fail at the network level: nothing listening, a server that
// accepts and never answers, and aborts. Every case is R4's "cannot be read", told apart by the
// error code. These need no slapd and always run.
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import { LdapDirectory, type LdapDirectoryError } from "../../src/adapters/ldap/index.js";
import { freePort } from "../support/slapd.js";
import { SERVERS } from "./exchange-tree.js";
import {
  eventually,
  type HangUpServer,
  hangUpServer,
  type SilentServer,
  silentServer,
} from "./tcp.js";

const SERVER_DN = `CN=EDGE01,${SERVERS}`;

async function failure(promise: Promise<unknown>): Promise<LdapDirectoryError> {
  const error = await promise.then(
    () => {
      throw new Error("the read should have failed");
    },
    (caught: unknown) => caught,
  );
  expect(error).toMatchObject({ name: "LdapDirectoryError" });
  return error as LdapDirectoryError;
}

describe("LdapDirectory: network failures (R4: cannot be read)", () => {
  let silent: SilentServer;
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(async () => {
    await silent?.close();
  });

  test("R4: nothing listening (connection refused) → ERR_LDAP_CONNECT", async () => {
    const port = await freePort();
    const directory = new LdapDirectory({ url: `ldap://127.0.0.1:${port}`, serverDN: SERVER_DN });
    const error = await failure(directory.readInternalTransportCertificate());
    expect(error).toMatchObject({ code: "ERR_LDAP_CONNECT", phase: "connect" });
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  test("R4: a server that accepts but never answers → ERR_LDAP_TIMEOUT in the search, connection closed", async () => {
    const before = silent.accepted;
    const directory = new LdapDirectory({
      url: `ldap://127.0.0.1:${silent.port}`,
      serverDN: SERVER_DN,
      timeout: 300,
    });
    const error = await failure(directory.readInternalTransportCertificate());
    expect(error).toMatchObject({ code: "ERR_LDAP_TIMEOUT", phase: "search" });
    expect(silent.accepted).toBe(before + 1);
    await eventually(() => silent.closed === silent.accepted);
  });

  test("R4: the timeout covers the bind too", async () => {
    const directory = new LdapDirectory({
      url: `ldap://127.0.0.1:${silent.port}`,
      serverName: "EDGE01",
      baseDN: SERVERS,
      bindDN: "CN=reader,DC=contoso,DC=com",
      password: "x",
      timeout: 300,
    });
    const error = await failure(directory.readInternalTransportCertificate());
    expect(error).toMatchObject({ code: "ERR_LDAP_TIMEOUT", phase: "bind" });
    await eventually(() => silent.closed === silent.accepted);
  });

  test("R4: ldaps:// to a server that never completes the handshake → connectTimeout", async () => {
    const directory = new LdapDirectory({
      url: `ldaps://127.0.0.1:${silent.port}`,
      serverDN: SERVER_DN,
      connectTimeout: 300,
      timeout: 60_000,
    });
    const error = await failure(directory.readInternalTransportCertificate());
    expect(error).toMatchObject({ code: "ERR_LDAP_TIMEOUT", phase: "connect" });
    await eventually(() => silent.closed === silent.accepted);
  });

  test("R4: StartTLS that is never answered → ERR_LDAP_TIMEOUT in starttls", async () => {
    const directory = new LdapDirectory({
      url: `ldap://127.0.0.1:${silent.port}`,
      serverDN: SERVER_DN,
      startTLS: true,
      timeout: 300,
    });
    const error = await failure(directory.readInternalTransportCertificate());
    expect(error).toMatchObject({ code: "ERR_LDAP_TIMEOUT", phase: "starttls" });
    await eventually(() => silent.closed === silent.accepted);
  });

  test("abort through the call's signal: ERR_LDAP_ABORTED at once, the reason as cause, socket closed", async () => {
    const directory = new LdapDirectory({
      url: `ldap://127.0.0.1:${silent.port}`,
      serverDN: SERVER_DN,
      timeout: 60_000,
    });
    const controller = new AbortController();
    const reason = new Error("session ended");
    const started = Date.now();
    const before = silent.received;
    const read = directory.readInternalTransportCertificate({ signal: controller.signal });
    await eventually(() => silent.received > before); // the search request is out
    controller.abort(reason);
    const error = await failure(read);
    expect(error).toMatchObject({ code: "ERR_LDAP_ABORTED", phase: "search" });
    expect(error.cause).toBe(reason);
    expect(Date.now() - started).toBeLessThan(10_000);
    await eventually(() => silent.closed === silent.accepted);
  });

  test("abort through the constructor's signal", async () => {
    const controller = new AbortController();
    const directory = new LdapDirectory({
      url: `ldap://127.0.0.1:${silent.port}`,
      serverDN: SERVER_DN,
      timeout: 60_000,
      signal: controller.signal,
    });
    const read = directory.readInternalTransportCertificate();
    await eventually(() => silent.accepted > silent.closed);
    controller.abort();
    expect(await failure(read)).toMatchObject({ code: "ERR_LDAP_ABORTED" });
    await eventually(() => silent.closed === silent.accepted);
  });

  test("an already aborted signal: no connection is even attempted", async () => {
    const before = silent.accepted;
    const directory = new LdapDirectory({
      url: `ldap://127.0.0.1:${silent.port}`,
      serverDN: SERVER_DN,
    });
    const error = await failure(
      directory.readInternalTransportCertificate({ signal: AbortSignal.abort("gone") }),
    );
    expect(error).toMatchObject({ code: "ERR_LDAP_ABORTED", phase: "connect", cause: "gone" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(silent.accepted).toBe(before);
  });

  test("abort while still connecting (ldaps handshake pending) destroys the socket", async () => {
    const controller = new AbortController();
    const directory = new LdapDirectory({
      url: `ldaps://127.0.0.1:${silent.port}`,
      serverDN: SERVER_DN,
      connectTimeout: 60_000,
    });
    const read = directory.readInternalTransportCertificate({ signal: controller.signal });
    await eventually(() => silent.accepted > silent.closed);
    controller.abort();
    expect(await failure(read)).toMatchObject({ code: "ERR_LDAP_ABORTED", phase: "connect" });
    await eventually(() => silent.closed === silent.accepted);
  });
});

describe("LdapDirectory: options are checked when it is built (misuse is a TypeError)", () => {
  const url = "ldap://127.0.0.1:389";
  const cases: readonly [string, unknown][] = [
    ["no lookup", { url }],
    ["both serverDN and serverName", { url, serverDN: SERVER_DN, serverName: "EDGE01" }],
    ["an empty serverName", { url, serverName: " " }],
    ["baseDN with serverDN", { url, serverDN: SERVER_DN, baseDN: SERVERS }],
    ["not an LDAP URL", { url: "http://dc01:389", serverDN: SERVER_DN }],
    ["a URL with a DN in it", { url: "ldap://dc01/DC=contoso,DC=com", serverDN: SERVER_DN }],
    ["credentials in the URL", { url: "ldap://u:p@dc01", serverDN: SERVER_DN }],
    ["StartTLS on ldaps://", { url: "ldaps://dc01", startTLS: true, serverDN: SERVER_DN }],
    ["a CA without TLS", { url, ca: "-----BEGIN CERTIFICATE-----", serverDN: SERVER_DN }],
    ["a bind DN without password", { url, bindDN: "CN=a", serverDN: SERVER_DN }],
    [
      "an empty password (RFC 4513 unauthenticated bind)",
      { url, bindDN: "CN=a", password: "", serverDN: SERVER_DN },
    ],
    ["a zero timeout", { url, timeout: 0, serverDN: SERVER_DN }],
    ["a filter in serverObjectClass", { url, serverName: "E", serverObjectClass: "x)(cn=*" }],
    ["a filter in nameAttribute", { url, serverName: "E", nameAttribute: "cn=*" }],
    [
      "a filter in serverObjectClass with serverDN",
      { url, serverDN: SERVER_DN, serverObjectClass: "x)(cn=*" },
    ],
    ["nameAttribute with serverDN", { url, serverDN: SERVER_DN, nameAttribute: "cn" }],
    ["an unknown missingAttribute", { url, serverDN: SERVER_DN, missingAttribute: "ignore" }],
    ["a signal that is not an AbortSignal", { url, serverDN: SERVER_DN, signal: {} }],
  ];
  test.each(cases)("%s", (_, options) => {
    expect(() => new LdapDirectory(options as never)).toThrow(TypeError);
  });

  test("valid: ldaps:// with CA as DER bytes, a UPN bind, Infinity timeouts", () => {
    expect(
      () =>
        new LdapDirectory({
          url: "ldaps://dc01.contoso.com:636",
          ca: [new Uint8Array([0x30, 0x00])],
          bindDN: "svc-tls@contoso.com",
          password: "pw",
          timeout: Number.POSITIVE_INFINITY,
          serverName: "HUB01",
        }),
    ).not.toThrow();
  });
});

// Issue 17: a connection lost at any phase is ERR_LDAP_CONNECT with that phase (never ERR_LDAP_TLS,
// which means a refused certificate), and the message is one line even where ldapts' own text has
// a newline ("Socket error. Message type: …\n<socket error>"). R4: cannot be read.
describe.each(["close", "reset"] as const)("LdapDirectory: the server hangs up (%s)", (how) => {
  let server: HangUpServer;
  beforeAll(async () => {
    server = await hangUpServer(how);
  });
  afterAll(async () => {
    await server?.close();
  });

  const cases = [
    ["during the ldaps:// TLS handshake", "ldaps", {}, "connect", "lost during the TLS handshake"],
    ["during StartTLS", "ldap", { startTLS: true }, "starttls", "lost during StartTLS"],
    [
      "during the bind",
      "ldap",
      { bindDN: "CN=reader,DC=contoso,DC=com", password: "x" },
      "bind",
      "lost during the bind",
    ],
    ["during the search", "ldap", {}, "search", "lost during the search"],
  ] as const;
  test.each(cases)(
    "R4: %s → ERR_LDAP_CONNECT in that phase, one line",
    async (_, scheme, extra, phase, text) => {
      const directory = new LdapDirectory({
        url: `${scheme}://127.0.0.1:${server.port}`,
        serverDN: SERVER_DN,
        ...extra,
      });
      const error = await failure(directory.readInternalTransportCertificate());
      expect(error).toMatchObject({ code: "ERR_LDAP_CONNECT", phase });
      expect(error.message).toContain(text);
      expect(error.message).not.toMatch(/[\r\n]/);
      await eventually(() => server.closed === server.accepted);
    },
  );
});
