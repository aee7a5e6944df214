// LdapDirectory against a real OpenLDAP server holding an Exchange-like configuration tree (R3:
// msExchServerInternalTLSCert of the server object; R4: unreadable or null). Outside CI a
// missing slapd skips these loudly; with CI=true it fails.
import { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

import {
  LdapDirectory,
  type LdapDirectoryError,
  type LdapDirectoryOptions,
} from "../../src/adapters/ldap/index.js";
import {
  type Slapd,
  type SlapdInstallation,
  slapdOrMissing,
  startSlapd,
} from "../support/slapd.js";
import {
  ADMIN_DN,
  ADMIN_PASSWORD,
  buildExchangeTree,
  CONFIGURATION,
  dnOf,
  type ExchangeTree,
  ODD_NAME,
  ODD_VALUE,
  READER_DN,
  READER_PASSWORD,
  SERVERS,
} from "./exchange-tree.js";
import { endsWithUnbind, eventually, type RecordingProxy, recordingProxy } from "./tcp.js";

const found = slapdOrMissing();
const installation: SlapdInstallation | undefined = "missing" in found ? undefined : found;

describe.runIf(installation === undefined && process.env["CI"] === "true")("slapd", () => {
  test("is installed (CI=true: the LDAP tests must run)", () => {
    expect.fail(`slapd is required in CI: ${"missing" in found ? found.missing : ""}`);
  });
});

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

describe.skipIf(installation === undefined)("LdapDirectory against slapd", () => {
  let tree: ExchangeTree;
  let slapd: Slapd | undefined;
  let proxy: RecordingProxy | undefined;
  const reader = { bindDN: READER_DN, password: READER_PASSWORD } as const;
  const on = (options: Omit<LdapDirectoryOptions, "url">, url = slapd!.url): LdapDirectory =>
    new LdapDirectory({ url, ...options } as LdapDirectoryOptions);

  beforeAll(async () => {
    tree = await buildExchangeTree();
    slapd = await startSlapd(installation!, tree.slapd);
    proxy = await recordingProxy(Number(new URL(slapd.url).port));
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await slapd?.stop();
  });

  describe("R3: the attribute's value, byte for byte", () => {
    test("R3: EDGE01 holds a Windows serialized-cert blob", async () => {
      const value = await on({
        ...reader,
        serverDN: dnOf("EDGE01"),
      }).readInternalTransportCertificate();
      expect(value).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(value)).toBe(false); // a plain copy, not ldapts' buffer
      expect(value).toEqual(tree.edge01Blob);
    });

    test("R3: EDGE02 holds a plain DER certificate", async () => {
      const value = await on({
        ...reader,
        serverDN: dnOf("EDGE02"),
      }).readInternalTransportCertificate();
      expect(value).toEqual(tree.edge02Der);
    });

    test("R3: the rootdn reads it too", async () => {
      const directory = on({
        bindDN: ADMIN_DN,
        password: ADMIN_PASSWORD,
        serverDN: dnOf("EDGE01"),
      });
      expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge01Blob);
    });

    test("R3: found by name under a base DN", async () => {
      const directory = on({ ...reader, serverName: "EDGE01", baseDN: SERVERS });
      expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge01Blob);
    });

    test("R3: found by name under the whole configuration partition, name matched case-insensitively as cn is", async () => {
      const directory = on({ ...reader, serverName: "edge02", baseDN: CONFIGURATION });
      expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge02Der);
    });

    test("R3: without baseDN the root DSE's configurationNamingContext is searched", async () => {
      const directory = on({ ...reader, serverName: "EDGE02" });
      expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge02Der);
    });

    test("R3: reads are independent: two at once, and the same directory read twice", async () => {
      const directory = on({ ...reader, serverName: "EDGE01", baseDN: SERVERS });
      const [a, b] = await Promise.all([
        directory.readInternalTransportCertificate(),
        on({ ...reader, serverDN: dnOf("EDGE02") }).readInternalTransportCertificate(),
      ]);
      expect(a).toEqual(tree.edge01Blob);
      expect(b).toEqual(tree.edge02Der);
      expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge01Blob);
    });
  });

  describe("R4: a null value", () => {
    test("R4: EDGE03 has no attribute → null", async () => {
      expect(
        await on({ ...reader, serverDN: dnOf("EDGE03") }).readInternalTransportCertificate(),
      ).toBeNull();
      expect(
        await on({
          ...reader,
          serverName: "EDGE03",
          baseDN: SERVERS,
        }).readInternalTransportCertificate(),
      ).toBeNull();
    });

    test('R4: missingAttribute "error" → ERR_LDAP_NO_ATTRIBUTE', async () => {
      const directory = on({ ...reader, serverDN: dnOf("EDGE03"), missingAttribute: "error" });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_NO_ATTRIBUTE",
        phase: "search",
      });
    });

    test("R4: an account without read access sees no attribute (as in AD) → null, or NO_ATTRIBUTE on request", async () => {
      // Anonymous may read the object but not the attribute (see the ACL in exchange-tree.ts).
      expect(await on({ serverDN: dnOf("EDGE01") }).readInternalTransportCertificate()).toBeNull();
      const strict = on({ serverDN: dnOf("EDGE01"), missingAttribute: "error" });
      expect(await failure(strict.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_NO_ATTRIBUTE",
      });
    });
  });

  describe("R4: cannot be read, and why", () => {
    test("R4: a wrong DN → ERR_LDAP_NO_SUCH_OBJECT (result code 32)", async () => {
      const directory = on({ ...reader, serverDN: dnOf("EDGE99") });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_NO_SUCH_OBJECT",
        phase: "search",
        resultCode: 32,
      });
    });

    test("R4: the wrong DN is named in the message, on one line (issue 17)", async () => {
      const directory = on({ ...reader, serverDN: dnOf("EDGE99") });
      const error = await failure(directory.readInternalTransportCertificate());
      expect(error.message).toContain(`the server object ${dnOf("EDGE99")} does not exist`);
      expect(error.message).not.toMatch(/\n/);
    });

    test("R4: serverDN naming the Servers container → ERR_LDAP_WRONG_OBJECT_CLASS naming the class found (issue 17)", async () => {
      const error = await failure(
        on({ ...reader, serverDN: SERVERS }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({ code: "ERR_LDAP_WRONG_OBJECT_CLASS", phase: "search" });
      expect(error.message).toContain("is a container");
      expect(
        await on({
          ...reader,
          serverDN: SERVERS,
          serverObjectClass: "container",
        }).readInternalTransportCertificate(),
      ).toBeNull();
    });

    test("R4: no server of that name → ERR_LDAP_NO_SUCH_OBJECT", async () => {
      const directory = on({ ...reader, serverName: "EDGE99", baseDN: SERVERS });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_NO_SUCH_OBJECT",
      });
    });

    test("R4: a base DN that does not exist → ERR_LDAP_NO_SUCH_OBJECT", async () => {
      const directory = on({
        ...reader,
        serverName: "EDGE01",
        baseDN: `CN=Nowhere,${CONFIGURATION}`,
      });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_NO_SUCH_OBJECT",
        resultCode: 32,
      });
    });

    test("R4: a wrong password → ERR_LDAP_BIND (invalidCredentials, 49)", async () => {
      const directory = on({ bindDN: READER_DN, password: "wrong", serverDN: dnOf("EDGE01") });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_BIND",
        phase: "bind",
        resultCode: 49,
      });
    });

    test("R4: an unknown bind DN → ERR_LDAP_BIND", async () => {
      const directory = on({
        bindDN: `CN=nobody,${READER_DN}`,
        password: "x",
        serverDN: dnOf("EDGE01"),
      });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_BIND",
        resultCode: 49,
      });
    });

    test("R4: the same name in two administrative groups → ERR_LDAP_AMBIGUOUS", async () => {
      const directory = on({ ...reader, serverName: "DUP", baseDN: CONFIGURATION });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_AMBIGUOUS",
      });
    });

    test("R4: a stopped server → ERR_LDAP_CONNECT", async () => {
      const { tls: _, ...plain } = tree.slapd;
      const second = await startSlapd(installation!, plain);
      try {
        const directory = on({ ...reader, serverDN: dnOf("EDGE02") }, second.url);
        expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge02Der);
        await second.kill();
        expect(second.running).toBe(false);
        expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
          code: "ERR_LDAP_CONNECT",
          phase: "connect",
        });
      } finally {
        await second.stop();
      }
    });
  });

  describe("the server name never changes the search (no filter injection)", () => {
    const injections = [
      ["a wildcard", "*"],
      ["a prefix wildcard", "EDGE0*"],
      ["a closing parenthesis and a second clause", "*)(cn=EDGE01"],
      ["an OR that matches everything", "EDGE01)(|(cn=*"],
      ["a presence test on the attribute", "*)(msExchServerInternalTLSCert=*"],
      ["an escaped star", "EDGE0\\2a"],
      ["a NUL", "EDGE01\u0000"],
    ] as const;
    test.each(injections)("%s (%j) finds no server", async (_, name) => {
      const directory = on({ ...reader, serverName: name, baseDN: CONFIGURATION });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_NO_SUCH_OBJECT",
      });
    });

    test("control: pasted into a filter string, the third name would have found EDGE01", async () => {
      const client = new Client({ url: slapd!.url });
      try {
        await client.bind(READER_DN, READER_PASSWORD);
        const naive = `(&(objectClass=msExchExchangeServer)(cn=${"*)(cn=EDGE01"}))`;
        const { searchEntries } = await client.search(CONFIGURATION, {
          scope: "sub",
          filter: naive,
        });
        expect(searchEntries.map((entry) => entry.dn)).toEqual([
          expect.stringMatching(/^cn=EDGE01,/i),
        ]);
      } finally {
        await client.unbind();
      }
    });

    test(`a server really named ${JSON.stringify(ODD_NAME)} is found by exactly that name`, async () => {
      const directory = on({ ...reader, serverName: ODD_NAME, baseDN: SERVERS });
      expect(await directory.readInternalTransportCertificate()).toEqual(ODD_VALUE);
    });

    test("the object class is part of the filter: a container named EDGE05 is not a server", async () => {
      const byDefault = on({ ...reader, serverName: "EDGE05", baseDN: SERVERS });
      expect(await failure(byDefault.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_NO_SUCH_OBJECT",
      });
      const configured = on({
        ...reader,
        serverName: "EDGE05",
        baseDN: SERVERS,
        serverObjectClass: "container",
      });
      expect(await configured.readInternalTransportCertificate()).toBeNull();
    });
  });

  describe("every read unbinds and closes its connection", () => {
    const cases: readonly [string, Omit<LdapDirectoryOptions, "url">, string | null][] = [
      ["after a value", { ...reader, serverDN: dnOf("EDGE01") }, null],
      ["after a null", { ...reader, serverDN: dnOf("EDGE03") }, null],
      ["after a wrong DN", { ...reader, serverDN: dnOf("EDGE99") }, "ERR_LDAP_NO_SUCH_OBJECT"],
      [
        "after bad credentials",
        { bindDN: READER_DN, password: "no", serverDN: dnOf("EDGE01") },
        "ERR_LDAP_BIND",
      ],
      [
        "after an ambiguous name",
        { ...reader, serverName: "DUP", baseDN: CONFIGURATION },
        "ERR_LDAP_AMBIGUOUS",
      ],
    ];
    test.each(cases)("%s", async (_, options, code) => {
      const before = proxy!.accepted;
      const read = on(options, proxy!.url).readInternalTransportCertificate();
      if (code === null) await read;
      else expect(await failure(read)).toMatchObject({ code });
      expect(proxy!.accepted).toBe(before + 1);
      const session = proxy!.sessions[before]!;
      await eventually(() => session.closed);
      expect(endsWithUnbind(session)).toBe(true);
    });
  });

  describe("TLS: ldaps:// and StartTLS (certificate from forge, key from the pool)", () => {
    const tls = () => ({ ca: tree.tlsCaPem, tlsOptions: { servername: tree.tlsServerName } });

    test("ldaps:// with the CA → the value", async () => {
      const directory = on({ ...reader, ...tls(), serverDN: dnOf("EDGE01") }, slapd!.ldapsUrl);
      expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge01Blob);
    });

    test("StartTLS with the CA (as DER bytes) → the value", async () => {
      const der = new Uint8Array(
        Buffer.from(tree.tlsCaPem.replace(/-----[^-]+-----|\s/g, ""), "base64"),
      );
      const directory = on({
        ...reader,
        startTLS: true,
        ca: [der],
        tlsOptions: { servername: tree.tlsServerName },
        serverDN: dnOf("EDGE02"),
      });
      expect(await directory.readInternalTransportCertificate()).toEqual(tree.edge02Der);
    });

    test("ldaps:// without the CA → ERR_LDAP_TLS", async () => {
      const directory = on(
        { ...reader, tlsOptions: { servername: tree.tlsServerName }, serverDN: dnOf("EDGE01") },
        slapd!.ldapsUrl,
      );
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_TLS",
        phase: "connect",
      });
    });

    test("StartTLS to a name the certificate does not hold → ERR_LDAP_TLS", async () => {
      const directory = on({
        ...reader,
        startTLS: true,
        ca: tree.tlsCaPem,
        tlsOptions: { servername: "dc01.contoso.com" },
        serverDN: dnOf("EDGE01"),
      });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_TLS",
        phase: "starttls",
      });
    });
  });
});
