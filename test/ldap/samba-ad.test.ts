// LdapDirectory against a real Active Directory: a Samba AD DC provisioned for this run in a
// temporary folder (test/support/samba.ts, tree in ./ad-tree.ts). AD differs from slapd exactly
// where R3/R4 are decided: what an account that may not read an object gets back, how a missing
// DN is reported, TLS-only simple binds, continuation references. Every case lives in this ONE
// file: AD's ports are fixed (389/636), so there is one DC per run, and vitest runs files in
// parallel.
//
// Runs when Samba is installed and we are root; SAMBA_AD_TESTS=0 turns it off, =1 makes a missing
// Samba a failure (as CI=true does). Outside CI, a missing Samba skips loudly with the install
// command.
import { createServer } from "node:net";

import { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  LdapDirectory,
  LdapDirectoryError,
  type LdapDirectoryOptions,
} from "../../src/adapters/ldap/index.js";
import { explainSelection, selectOutboundAnonymousTlsCert } from "../../src/index.js";
import {
  busyPorts,
  lockPorts,
  type Samba,
  type SambaInstallation,
  sambaOrMissing,
  startSamba,
  unreadBytes,
} from "../support/samba.js";
import {
  ADMIN_DN,
  ADMIN_PASSWORD,
  BLOB,
  CONFIGURATION,
  DER,
  HIDDEN_SERVERS,
  OTHER_DN,
  OTHER_PASSWORD,
  READER_DN,
  READER_PASSWORD,
  READER_UPN,
  SAMBA_CONFIG,
  SECOND_SERVERS,
  SERVERS,
  serverDN,
} from "./ad-tree.js";

const switched = process.env["SAMBA_AD_TESTS"];
const required = process.env["CI"] === "true" || switched === "1";
const found = switched === "0" ? undefined : sambaOrMissing();
const installation: SambaInstallation | undefined =
  found === undefined || "missing" in found ? undefined : found;

describe.runIf(installation === undefined && required && switched !== "0")("Samba AD DC", () => {
  test("is installed (CI=true or SAMBA_AD_TESTS=1: the AD tests must run)", () => {
    expect.fail(
      `a Samba AD DC is required here: ${found !== undefined && "missing" in found ? found.missing : ""}`,
    );
  });
});

async function failure(promise: Promise<unknown>): Promise<LdapDirectoryError> {
  const error = await promise.then(
    () => {
      throw new Error("the read should have failed");
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LdapDirectoryError);
  const ldapError = error as LdapDirectoryError;
  expect(ldapError.message).not.toMatch(/\n/); // messages are one line
  return ldapError;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(installation === undefined)("startSamba and AD's fixed ports", () => {
  test("something else listening on one of them → a clear error naming the port, nothing left behind", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once("error", reject);
      squatter.listen(3269, "127.0.0.1", () => resolve());
    });
    try {
      await expect(startSamba(installation!, SAMBA_CONFIG)).rejects.toThrow(
        /something already listens on port 3269/,
      );
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    // The lock was released: the real DC below starts without waiting for it.
    const release = await lockPorts();
    await release();
  });
});

describe.skipIf(installation === undefined)("LdapDirectory against a Samba AD DC", () => {
  let samba: Samba | undefined;
  const reader = { bindDN: READER_DN, password: READER_PASSWORD } as const;
  const other = { bindDN: OTHER_DN, password: OTHER_PASSWORD } as const;
  const admin = { bindDN: ADMIN_DN, password: ADMIN_PASSWORD } as const;
  /** ldaps:// with Samba's CA, by the name in its certificate (it has no IP address in it). */
  const ldaps = (options: Omit<LdapDirectoryOptions, "url">): LdapDirectory =>
    new LdapDirectory({
      url: "ldaps://127.0.0.1",
      ca: samba!.caPem,
      tlsOptions: { servername: samba!.tlsName },
      ...options,
    } as LdapDirectoryOptions);

  beforeAll(async () => {
    samba = await startSamba(installation!, SAMBA_CONFIG);
  }, 400_000);
  afterAll(async () => {
    await samba?.stop();
  }, 30_000);

  describe("R3: the attribute's bytes, over TLS", () => {
    test("R3: ldaps://, by DN: EDGE01's serialized-certificate blob, byte for byte", async () => {
      const value = await ldaps({
        ...reader,
        serverDN: serverDN("EDGE01"),
      }).readInternalTransportCertificate();
      expect(value).toEqual(BLOB);
    });

    test("R3: StartTLS on ldap://, by DN: EDGE02's DER certificate", async () => {
      const directory = new LdapDirectory({
        url: "ldap://127.0.0.1",
        startTLS: true,
        ca: samba!.caPem,
        tlsOptions: { servername: samba!.tlsName },
        ...reader,
        serverDN: serverDN("EDGE02"),
      });
      expect(await directory.readInternalTransportCertificate()).toEqual(DER);
    });

    test("R3: a UPN as bind name, found by name under the Servers container", async () => {
      const directory = ldaps({
        bindDN: READER_UPN,
        password: READER_PASSWORD,
        serverName: "EDGE01",
        baseDN: SERVERS,
      });
      expect(await directory.readInternalTransportCertificate()).toEqual(BLOB);
    });

    test("R3: by name without baseDN: the root DSE's configurationNamingContext, whose subtree search also returns a continuation reference (the Schema partition), ignored", async () => {
      // Control: AD does send the reference for this search.
      const client = new Client({
        url: "ldaps://127.0.0.1",
        tlsOptions: { ca: [samba!.caPem], servername: samba!.tlsName },
      });
      try {
        await client.bind(READER_DN, READER_PASSWORD);
        const { searchEntries, searchReferences } = await client.search(CONFIGURATION, {
          scope: "sub",
          filter: "(&(objectClass=msExchExchangeServer)(cn=EDGE02))",
          attributes: ["cn"],
        });
        expect(searchEntries).toHaveLength(1);
        expect(searchReferences.length).toBeGreaterThan(0);
      } finally {
        await client.unbind();
      }
      expect(
        await ldaps({ ...reader, serverName: "EDGE02" }).readInternalTransportCertificate(),
      ).toEqual(DER);
    });

    test("R3: the administrator reads an object the reader is denied (the value is there)", async () => {
      expect(
        await ldaps({ ...admin, serverDN: serverDN("EDGE07") }).readInternalTransportCertificate(),
      ).toEqual(DER);
    });
  });

  describe("R4: transport and credentials", () => {
    test("R4: a simple bind without TLS is refused (strongAuthRequired, 8) → ERR_LDAP_BIND", async () => {
      const directory = new LdapDirectory({
        url: "ldap://127.0.0.1",
        ...reader,
        serverDN: serverDN("EDGE01"),
      });
      const error = await failure(directory.readInternalTransportCertificate());
      expect(error).toMatchObject({ code: "ERR_LDAP_BIND", phase: "bind", resultCode: 8 });
      expect(error.message).toContain(READER_DN);
    });

    test("R4: ldaps:// by IP address without servername: the certificate names DC01.contoso.com only → ERR_LDAP_TLS", async () => {
      const directory = new LdapDirectory({
        url: "ldaps://127.0.0.1",
        ca: samba!.caPem,
        ...reader,
        serverDN: serverDN("EDGE01"),
      });
      const error = await failure(directory.readInternalTransportCertificate());
      expect(error).toMatchObject({ code: "ERR_LDAP_TLS", phase: "connect" });
      expect((error.cause as NodeJS.ErrnoException).code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    });

    test("R4: ldaps:// without the CA → ERR_LDAP_TLS (Samba's self-generated CA is not trusted)", async () => {
      const directory = new LdapDirectory({
        url: "ldaps://127.0.0.1",
        tlsOptions: { servername: samba!.tlsName },
        ...reader,
        serverDN: serverDN("EDGE01"),
      });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_TLS",
        phase: "connect",
      });
    });

    test("R4: StartTLS without the CA → ERR_LDAP_TLS in starttls", async () => {
      const directory = new LdapDirectory({
        url: "ldap://127.0.0.1",
        startTLS: true,
        tlsOptions: { servername: samba!.tlsName },
        ...reader,
        serverDN: serverDN("EDGE01"),
      });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_TLS",
        phase: "starttls",
      });
    });

    test("R4: a wrong password → ERR_LDAP_BIND (invalidCredentials, 49)", async () => {
      const directory = ldaps({
        bindDN: READER_DN,
        password: "Wrong-Secret-1",
        serverDN: serverDN("EDGE01"),
      });
      expect(await failure(directory.readInternalTransportCertificate())).toMatchObject({
        code: "ERR_LDAP_BIND",
        phase: "bind",
        resultCode: 49,
      });
    });

    test("R4: anonymous: AD refuses the search (operationsError, 1) → ERR_LDAP_ACCESS saying to bind", async () => {
      const error = await failure(
        ldaps({ serverDN: serverDN("EDGE01") }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({ code: "ERR_LDAP_ACCESS", phase: "search", resultCode: 1 });
      expect(error.message).toMatch(/anonymous.*give bindDN and password/);
      // By name: the root DSE is readable anonymously, the configuration partition is not.
      expect(
        await failure(ldaps({ serverName: "EDGE01" }).readInternalTransportCertificate()),
      ).toMatchObject({ code: "ERR_LDAP_ACCESS", phase: "search" });
    });
  });

  describe("R4: permissions, as AD answers them", () => {
    test("R4: a deny ACE on the whole object: AD returns the entry without attributes → ERR_LDAP_ACCESS naming the account and the DN (not null)", async () => {
      const error = await failure(
        ldaps({ ...reader, serverDN: serverDN("EDGE07") }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({ code: "ERR_LDAP_ACCESS", phase: "search" });
      expect(error.message).toContain(READER_DN);
      expect(error.message).toContain(serverDN("EDGE07"));
      expect(error.message).toContain("grant Read");
    });

    test("R4: the same object by name is not found (AD filters out what it hides); the base is readable, and the message says a hidden object looks the same", async () => {
      const error = await failure(
        ldaps({
          ...reader,
          serverName: "EDGE07",
          baseDN: SERVERS,
        }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({ code: "ERR_LDAP_NO_SUCH_OBJECT" });
      expect(error.message).toContain(SERVERS);
      expect(error.message).toMatch(/may not read is not found either/);
    });

    test("R4: a search base the account may not read → ERR_LDAP_ACCESS naming the base", async () => {
      const byName = await failure(
        ldaps({
          ...reader,
          serverName: "EDGE08",
          baseDN: HIDDEN_SERVERS,
        }).readInternalTransportCertificate(),
      );
      expect(byName).toMatchObject({ code: "ERR_LDAP_ACCESS", phase: "search" });
      expect(byName.message).toContain(`cannot read the search base ${HIDDEN_SERVERS}`);
      // Its objects, by DN, come back without attributes too.
      expect(
        await failure(
          ldaps({
            ...reader,
            serverDN: serverDN("EDGE08", HIDDEN_SERVERS),
          }).readInternalTransportCertificate(),
        ),
      ).toMatchObject({ code: "ERR_LDAP_ACCESS" });
    });

    test('R4 (limit): a deny ACE on the attribute alone looks exactly like an unset attribute → null; missingAttribute "error" says it may be a permission', async () => {
      // EDGE06 holds a value the reader is denied; EDGE03 holds none: AD answers both the same.
      expect(
        await ldaps({ ...reader, serverDN: serverDN("EDGE06") }).readInternalTransportCertificate(),
      ).toBeNull();
      expect(
        await ldaps({ ...reader, serverDN: serverDN("EDGE03") }).readInternalTransportCertificate(),
      ).toBeNull();
      expect(
        await ldaps({ ...admin, serverDN: serverDN("EDGE06") }).readInternalTransportCertificate(),
      ).toEqual(DER);
      const strict = await failure(
        ldaps({
          ...reader,
          serverDN: serverDN("EDGE06"),
          missingAttribute: "error",
        }).readInternalTransportCertificate(),
      );
      expect(strict).toMatchObject({ code: "ERR_LDAP_NO_ATTRIBUTE" });
      expect(strict.message).toContain(READER_DN);
    });

    test("R4 (limit): a confidential attribute (searchFlags 128) is hidden from an account without Control Access → null", async () => {
      expect(
        await ldaps({ ...other, serverDN: serverDN("EDGE01") }).readInternalTransportCertificate(),
      ).toBeNull();
      expect(
        await ldaps({
          ...other,
          serverName: "EDGE01",
          baseDN: SERVERS,
        }).readInternalTransportCertificate(),
      ).toBeNull();
    });
  });

  describe("R4: missing objects, wrong objects, duplicates", () => {
    test("R4: a serverDN that does not exist → ERR_LDAP_NO_SUCH_OBJECT (32) naming the DN, not only AD's internal text", async () => {
      const dn = serverDN("EDGE99");
      const error = await failure(
        ldaps({ ...reader, serverDN: dn }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({
        code: "ERR_LDAP_NO_SUCH_OBJECT",
        phase: "search",
        resultCode: 32,
      });
      expect(error.message).toContain(`the server object ${dn} does not exist`);
    });

    test("R4: a baseDN that does not exist → ERR_LDAP_NO_SUCH_OBJECT naming the base", async () => {
      const base = `CN=Nowhere,${CONFIGURATION}`;
      const error = await failure(
        ldaps({ ...reader, serverName: "EDGE01", baseDN: base }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({ code: "ERR_LDAP_NO_SUCH_OBJECT", resultCode: 32 });
      expect(error.message).toContain(`the search base ${base} does not exist`);
    });

    test("R4: no server of that name → ERR_LDAP_NO_SUCH_OBJECT", async () => {
      expect(
        await failure(
          ldaps({
            ...reader,
            serverName: "EDGE99",
            baseDN: SERVERS,
          }).readInternalTransportCertificate(),
        ),
      ).toMatchObject({ code: "ERR_LDAP_NO_SUCH_OBJECT" });
    });

    test("R4: serverDN naming the Servers container → ERR_LDAP_WRONG_OBJECT_CLASS naming the class found", async () => {
      const error = await failure(
        ldaps({ ...reader, serverDN: SERVERS }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({ code: "ERR_LDAP_WRONG_OBJECT_CLASS", phase: "search" });
      expect(error.message).toContain("is a container");
      expect(error.message).toContain("not a msExchExchangeServer");
      // Told which class to expect, the same DN is read (it has no value: null).
      expect(
        await ldaps({
          ...reader,
          serverDN: SERVERS,
          serverObjectClass: "container",
        }).readInternalTransportCertificate(),
      ).toBeNull();
    });

    test("R4: the same name in two administrative groups → ERR_LDAP_AMBIGUOUS naming both; each base alone finds one", async () => {
      const error = await failure(
        ldaps({
          ...reader,
          serverName: "DUP",
          baseDN: CONFIGURATION,
        }).readInternalTransportCertificate(),
      );
      expect(error).toMatchObject({ code: "ERR_LDAP_AMBIGUOUS" });
      expect(error.message).toContain(serverDN("DUP"));
      expect(error.message).toContain(serverDN("DUP", SECOND_SERVERS));
      expect(
        await ldaps({
          ...reader,
          serverName: "DUP",
          baseDN: SERVERS,
        }).readInternalTransportCertificate(),
      ).toEqual(DER);
      expect(
        await ldaps({
          ...reader,
          serverName: "DUP",
          baseDN: SECOND_SERVERS,
        }).readInternalTransportCertificate(),
      ).toEqual(BLOB);
    });
  });

  describe("R4 end to end: the selection and its explanation", () => {
    test("R4/R5: an object the account may not read → directory-unreadable (not directory-empty), the explanation names the account, the DN and what to do", async () => {
      const selection = await selectOutboundAnonymousTlsCert({
        role: "EdgeTransport",
        sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
        server: {
          fqdn: "edge07.contoso.com",
          hostName: "EDGE07",
          physicalFqdn: "edge07.contoso.com",
          physicalHostName: "EDGE07",
        },
        directory: ldaps({ ...reader, serverDN: serverDN("EDGE07") }),
        store: { list: () => [] },
        phase: "startup",
      });
      expect(selection).toMatchObject({
        outcome: "no-certificate",
        reason: "directory-unreadable",
        cause: { code: "ERR_LDAP_ACCESS" },
      });
      expect(selection.events).toMatchObject([
        { id: 12012, data: { reason: "directory-unreadable" } },
      ]);
      const text = explainSelection(selection);
      expect(text).toContain(
        `${READER_DN} cannot read msExchServerInternalTLSCert on ${serverDN("EDGE07")}`,
      );
      expect(text).toContain(
        "grant Read on the object and the attribute, or run as an account that can",
      );
    });
  });

  // Last: these pause and then kill the DC.
  describe("R4: the DC paused (SIGSTOP), then killed mid-handshake", () => {
    test("R4: paused: ldaps:// → ERR_LDAP_TIMEOUT in connect; StartTLS → ERR_LDAP_TIMEOUT in starttls; resumed, reads work again", async () => {
      samba!.pause();
      try {
        // Both failures are observed at once (a rejection nobody awaits yet is "unhandled").
        const handshake = failure(
          ldaps({
            ...reader,
            serverDN: serverDN("EDGE01"),
            connectTimeout: 1_000,
          }).readInternalTransportCertificate(),
        );
        const startTls = failure(
          new LdapDirectory({
            url: "ldap://127.0.0.1",
            startTLS: true,
            ca: samba!.caPem,
            tlsOptions: { servername: samba!.tlsName },
            ...reader,
            serverDN: serverDN("EDGE01"),
            timeout: 1_000,
          }).readInternalTransportCertificate(),
        );
        expect(await handshake).toMatchObject({
          code: "ERR_LDAP_TIMEOUT",
          phase: "connect",
        });
        expect(await startTls).toMatchObject({
          code: "ERR_LDAP_TIMEOUT",
          phase: "starttls",
        });
      } finally {
        samba!.resume();
      }
      expect(
        await ldaps({ ...reader, serverDN: serverDN("EDGE01") }).readInternalTransportCertificate(),
      ).toEqual(BLOB);
    }, 30_000);

    test("R4: killed while an ldaps:// handshake and a StartTLS request wait → ERR_LDAP_CONNECT with the phase (not ERR_LDAP_TLS); then nothing listens", async () => {
      samba!.pause();
      // The kernel completes the TCP handshakes for the paused DC; the reads then wait for the
      // TLS ServerHello and for the StartTLS response.
      // Failures are observed at once (a rejection nobody awaits yet is "unhandled").
      const handshake = failure(
        ldaps({
          ...reader,
          serverDN: serverDN("EDGE01"),
          connectTimeout: 20_000,
        }).readInternalTransportCertificate(),
      );
      const startTls = failure(
        new LdapDirectory({
          url: "ldap://127.0.0.1",
          startTLS: true,
          ca: samba!.caPem,
          tlsOptions: { servername: samba!.tlsName },
          ...reader,
          serverDN: serverDN("EDGE01"),
          timeout: 20_000,
        }).readInternalTransportCertificate(),
      );
      // Kill only once both requests have reached the paused DC (its kernel holds them).
      const deadline = Date.now() + 15_000;
      while ((await unreadBytes(636)) === 0 || (await unreadBytes(389)) === 0) {
        if (Date.now() > deadline) throw new Error("the requests never reached the paused DC");
        await sleep(20);
      }
      expect(await busyPorts()).toEqual(expect.arrayContaining([389, 636])); // control
      await samba!.kill();
      expect(samba!.running).toBe(false);
      const lostHandshake = await handshake;
      expect(lostHandshake).toMatchObject({ code: "ERR_LDAP_CONNECT", phase: "connect" });
      expect(lostHandshake.message).toContain("lost during the TLS handshake");
      const lostStartTls = await startTls;
      expect(lostStartTls).toMatchObject({ code: "ERR_LDAP_CONNECT", phase: "starttls" });
      expect(lostStartTls.message).toContain("lost during StartTLS");
      expect(
        await failure(
          ldaps({ ...reader, serverDN: serverDN("EDGE01") }).readInternalTransportCertificate(),
        ),
      ).toMatchObject({ code: "ERR_LDAP_CONNECT", phase: "connect" });
      // The ports are free again for the next run (startSamba refuses to start while one is taken).
      expect(await busyPorts()).toEqual([]);
    }, 30_000);
  });
});
