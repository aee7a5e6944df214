// The snapshot loader in-process (no process per case): every bad field named by its JSON path,
// the PowerShell spellings and shapes accepted, and the hand-written checks agreeing with the
// shipped JSON Schema on what is valid.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

import { InputError } from "../../src/cli/input-error.js";
import { loadSnapshot, parseSnapshot } from "../../src/cli/snapshot.js";
import { forgeCrl, toCrlPem } from "../revocation/crl-forge.js";
import { directoryFile, fixture, NOW, SERVER } from "../support/fixtures.js";
import { assertValid, validateSnapshot } from "./schemas.js";
import { b64, copyFixture, tempDir, writeJson } from "./support.js";

const dir = tempDir("snapshot");
copyFixture(dir, "leaf-rsa", "certs/leaf.pem");
writeFileSync(join(dir, "certs", "leaf.der"), fixture("leaf-rsa").der);
writeFileSync(
  join(dir, "certs", "junk.pem"),
  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
);

const file = join(dir, "snapshot.json");

function valid(): Record<string, unknown> {
  return {
    role: "EdgeTransport",
    sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;1"] },
    server: { ...SERVER },
    directory: { thumbprint: fixture("self-signed").thumbprint },
    store: [{ rawData: b64(fixture("self-signed").der), hasPrivateKey: true, services: ["SMTP"] }],
  };
}

function parse(json: unknown, direction: "outbound" | "inbound" = "outbound") {
  return parseSnapshot(json, { file, displayName: "snapshot.json", direction });
}

async function problemsOf(json: unknown, direction: "outbound" | "inbound" = "outbound") {
  try {
    await parse(json, direction);
  } catch (error) {
    if (error instanceof InputError) return error.problems;
    throw error;
  }
  throw new Error("expected an InputError");
}

const withStore = (...store: unknown[]) => ({ ...valid(), store });
const entry = (fields: Record<string, unknown>) => ({
  rawData: b64(fixture("self-signed").der),
  hasPrivateKey: true,
  services: ["SMTP"],
  ...fields,
});

describe("bad snapshots: each problem names its JSON path", () => {
  const cases: [string, unknown, string, boolean][] = [
    // name, snapshot, expected problem (prefix), also invalid per the JSON Schema
    ["root is not an object", [], "(root): expected an object, got an array", true],
    [
      "unknown top-level field",
      { ...valid(), sendconnector: {} },
      "sendconnector: unknown field",
      true,
    ],
    ["role missing", { ...valid(), role: undefined }, "role: required", false],
    [
      "role misspelled",
      { ...valid(), role: "Edge" },
      'role: expected "HubTransport" or "EdgeTransport"',
      true,
    ],
    [
      "smart host mechanism unknown",
      { ...valid(), sendConnector: { smartHostAuthMechanism: "Kerberos", addressSpaces: ["--"] } },
      'sendConnector.smartHostAuthMechanism: "Kerberos" is not one of',
      true,
    ],
    [
      "address space cost out of range",
      {
        ...valid(),
        sendConnector: { smartHostAuthMechanism: "ExchangeServer", addressSpaces: ["SMTP:--;0"] },
      },
      'sendConnector.addressSpaces[0]: "SMTP:--;0" is not an address space',
      false,
    ],
    [
      "both spellings of one field",
      {
        ...valid(),
        sendConnector: {
          smartHostAuthMechanism: "ExchangeServer",
          SmartHostAuthMechanism: "None",
          addressSpaces: ["--"],
        },
      },
      "sendConnector.smartHostAuthMechanism: given twice",
      true,
    ],
    [
      "hub without delivery type",
      { ...valid(), role: "HubTransport" },
      "deliveryType: required for a HubTransport server",
      false,
    ],
    [
      "delivery type unknown",
      { ...valid(), deliveryType: "ToEdge" },
      'deliveryType: "ToEdge" is not one of',
      true,
    ],
    [
      "server name of the wrong type",
      { ...valid(), server: { ...SERVER, fqdn: 42 } },
      "server.fqdn: expected a host name, got a number",
      true,
    ],
    [
      "server field misspelled",
      { ...valid(), server: { fqdn: "a.b", hostname: "A" } },
      "server.hostname: unknown field",
      true,
    ],
    // The schema no longer requires it: a STARTTLS snapshot has none (the command requires it
    // for anonymous TLS only).
    ["directory missing", { ...valid(), directory: undefined }, "directory: required", false],
    [
      "directory thumbprint too short",
      { ...valid(), directory: { thumbprint: "21BED9E7" } },
      "directory.thumbprint: not a thumbprint",
      false,
    ],
    [
      "directory base64 is not a certificate",
      { ...valid(), directory: { base64: "AAECAwQF" } },
      "directory.base64: neither a DER certificate nor a serialized-certificate blob",
      false,
    ],
    [
      "directory with both forms",
      { ...valid(), directory: { thumbprint: "x", base64: "" } },
      'directory: give either "thumbprint" or "base64"',
      true,
    ],
    ["store missing", { ...valid(), store: undefined }, "store: required", true],
    [
      "rawData not base64",
      withStore(entry({ rawData: "not base64!" })),
      "store[0].rawData: not base64",
      true,
    ],
    [
      "rawData a PowerShell type name",
      withStore(entry({ rawData: "System.Byte[]" })),
      "store[0].rawData: not base64 (PowerShell wrote a type name",
      true,
    ],
    [
      "rawData not a certificate",
      withStore(entry({ rawData: b64(fixture("self-signed").der.subarray(0, 100)) })),
      "store[0].rawData: not a certificate: ",
      false,
    ],
    [
      "rawData bytes out of range",
      withStore(entry({ rawData: [48, 300] })),
      "store[0].rawData: expected base64 text or an array of bytes",
      true,
    ],
    [
      "rawData and path both",
      withStore(entry({ path: "certs/leaf.pem" })),
      'store[0]: give either "rawData" or "path"',
      true,
    ],
    [
      "neither rawData nor path",
      withStore({ hasPrivateKey: true, services: ["SMTP"] }),
      'store[0]: needs "rawData"',
      true,
    ],
    [
      "path that does not exist",
      withStore({ path: "certs/gone.pem", hasPrivateKey: true, services: "SMTP" }),
      "store[0].path: no such file: ",
      false,
    ],
    [
      "path to a file that is not a certificate",
      withStore({ path: "certs/junk.pem", hasPrivateKey: true, services: "SMTP" }),
      "store[0].path: not a certificate: ",
      false,
    ],
    [
      "hasPrivateKey as text",
      withStore(entry({ hasPrivateKey: "True" })),
      "store[0].hasPrivateKey: expected true or false, got a string",
      true,
    ],
    [
      "HasPrivateKey missing",
      withStore({ RawData: b64(fixture("self-signed").der), Services: "SMTP" }),
      "store[0].hasPrivateKey: required",
      true,
    ],
    [
      "Services as the flags' number",
      withStore({ RawData: b64(fixture("self-signed").der), HasPrivateKey: true, Services: 16 }),
      "store[0].Services: a number (PowerShell wrote the flags' value)",
      true,
    ],
    [
      "Thumbprint that does not match RawData",
      withStore(entry({ Thumbprint: fixture("leaf-rsa").thumbprint })),
      "store[0].Thumbprint: does not match the certificate",
      false,
    ],
    [
      "trust anchor that does not parse",
      { ...valid(), trustAnchors: ["AAAA"] },
      "trustAnchors[0]: not a certificate",
      false,
    ],
    [
      "trust anchor path missing",
      { ...valid(), trustAnchors: [{ path: "nope.pem" }] },
      "trustAnchors[0].path: no such file",
      false,
    ],
    [
      "folder that does not exist",
      { ...valid(), store: { folder: "no-such-folder" } },
      "store.folder: cannot list ",
      false,
    ],
    [
      "evaluatedAt without a zone",
      { ...valid(), evaluatedAt: "2026-11-02T08:30" },
      'evaluatedAt: "2026-11-02T08:30": expected a date',
      true,
    ],
    [
      "inbound without a receive connector",
      { ...valid() },
      "receiveConnector: required with --inbound",
      false,
    ],
  ];

  it.each(cases)("%s", async (name, json, expected, schemaRejects) => {
    const direction = name.startsWith("inbound") ? "inbound" : "outbound";
    const problems = await problemsOf(json, direction);
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join("\n"),
    ).toBe(true);
    // The schema cannot see files, certificates or cross-field rules; where it can, it agrees.
    if (schemaRejects) expect(validateSnapshot(json)).toBe(false);
  });

  it("reports every problem at once, not the first only", async () => {
    const problems = await problemsOf({
      ...valid(),
      role: "Edge",
      store: [entry({ hasPrivateKey: 1 }), entry({ services: 16 })],
    });
    expect(problems).toHaveLength(3);
  });
});

describe("accepted shapes", () => {
  const good: [string, Record<string, unknown>][] = [
    ["camelCase, as documented", valid()],
    [
      "Get-ExchangeCertificate | Select Thumbprint,RawData,HasPrivateKey,Services, one certificate (an object, not a list)",
      {
        ...valid(),
        store: {
          Thumbprint: fixture("self-signed").thumbprint.toLowerCase(),
          RawData: b64(fixture("self-signed").der),
          HasPrivateKey: true,
          Services: "IIS, SMTP",
          NotAfter: "/Date(1778932800000)/",
        },
      },
    ],
    [
      "RawData as the byte array ConvertTo-Json writes, PEM text, path to PEM and to DER",
      withStore(
        entry({ rawData: [...fixture("self-signed").der] }),
        entry({ rawData: fixture("self-signed-old").pem }),
        { path: "certs/leaf.pem", hasPrivateKey: true, services: [] },
        { path: "certs/leaf.der", hasPrivateKey: false, services: "None" },
      ),
    ],
    [
      "Get-SendConnector's AddressSpaces as objects, or one bare string",
      {
        ...valid(),
        sendConnector: {
          SmartHostAuthMechanism: "ExchangeServer",
          AddressSpaces: { Type: "SMTP", Address: "--", Cost: 1 },
          Identity: "EdgeSync - Inbound to Default-First-Site-Name",
        },
      },
    ],
    [
      "directory as the serialized blob AD holds",
      { ...valid(), directory: { base64: b64(directoryFile("serialized.bin")) } },
    ],
    ["directory null", { ...valid(), directory: null }],
    ["directory thumbprint empty (A15)", { ...valid(), directory: { thumbprint: "" } }],
    [
      "physical names default to the names",
      { ...valid(), server: { fqdn: "mail.contoso.com", hostName: "EDGE01", clusterName: null } },
    ],
    [
      "trust anchors by path and base64",
      {
        ...valid(),
        trustAnchors: [{ path: "certs/leaf.pem" }, b64(fixture("root-rsa").der)],
        intermediates: null,
      },
    ],
  ];

  it.each(good)("%s", async (_name, json) => {
    assertValid(validateSnapshot, json);
    const snapshot = await parse(json);
    expect(snapshot.store.length).toBeGreaterThan(0);
  });

  it("services text, a one-entry store and AddressSpaces objects become what the library takes", async () => {
    const snapshot = await parse(good[1]![1]);
    expect(snapshot.store[0]!.entry.services).toEqual(["IIS", "SMTP"]);
    const connector = await parse(good[3]![1]);
    expect(connector.sendConnector).toEqual({
      smartHostAuthMechanism: "ExchangeServer",
      addressSpaces: ["SMTP:--;1"],
      // Identity as text is the connector's name (12014's %2).
      name: "EdgeSync - Inbound to Default-First-Site-Name",
    });
    const names = await parse(good[7]![1]);
    expect(names.server).toEqual({
      fqdn: "mail.contoso.com",
      hostName: "EDGE01",
      physicalFqdn: "mail.contoso.com",
      physicalHostName: "EDGE01",
    });
  });

  it("reads what PowerShell 5 writes: UTF-16 with a BOM, UTF-8 with a BOM", async () => {
    const text = JSON.stringify(valid());
    const utf16 = join(dir, "utf16.json");
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    const utf8 = join(dir, "utf8-bom.json");
    writeFileSync(utf8, `\uFEFF${text}`);
    for (const path of [utf16, utf8]) {
      const snapshot = await loadSnapshot(path, { direction: "outbound" });
      expect(snapshot.role).toBe("EdgeTransport");
    }
  });

  it("a folder store lists its files, with the folder in each source", async () => {
    writeJson(dir, "folder/store.json", { "leaf.pem": { services: "IIS" } });
    copyFixture(dir, "leaf-rsa", "folder/leaf.pem");
    const snapshot = await parse({ ...valid(), store: { folder: "folder" } });
    expect(snapshot.store.map((e) => [e.source, e.entry.services, e.entry.hasPrivateKey])).toEqual([
      [join("folder", "leaf.pem"), ["IIS"], false],
    ]);
  });
});

describe("A21: CRLs in a snapshot (crls, and a folder store's *.crl files)", () => {
  const crl = (number: number) =>
    forgeCrl({
      issuer: [
        ["O", "Contoso Test PKI"],
        ["CN", "Contoso Issuing CA (RSA)"],
      ],
      signer: "rsa-2",
      thisUpdate: new Date(NOW.getTime() - 86_400_000),
      nextUpdate: new Date(NOW.getTime() + 86_400_000),
      crlNumber: number,
    });

  it("base64 DER, PEM text, and a PEM file with two CRLs; each named by its source", async () => {
    writeFileSync(join(dir, "two.crl"), `${toCrlPem(crl(2))}${toCrlPem(crl(3))}`);
    const json = {
      ...valid(),
      crls: [
        { base64: Buffer.from(crl(1)).toString("base64") },
        { base64: toCrlPem(crl(4)) },
        { path: "two.crl" },
      ],
    };
    assertValid(validateSnapshot, json);
    const snapshot = await parse(json);
    expect(snapshot.crls.map((c) => [c.source, c.crl.crlNumber])).toEqual([
      ["crls[0]", 1n],
      ["crls[1]", 4n],
      ["crls[2] (two.crl)", 2n],
      ["crls[2] (two.crl)", 3n],
    ]);
    expect((await parse(valid())).crls).toEqual([]);
  });

  it("a folder store's *.crl files (DER or PEM, any case) come after the listed ones", async () => {
    copyFixture(dir, "leaf-rsa", "crl-folder/leaf.pem");
    writeFileSync(join(dir, "crl-folder", "b.CRL"), crl(6));
    writeFileSync(join(dir, "crl-folder", "a.crl"), toCrlPem(crl(5)));
    const snapshot = await parse({
      ...valid(),
      store: { folder: "crl-folder" },
      crls: [{ base64: Buffer.from(crl(1)).toString("base64") }],
    });
    expect(snapshot.store).toHaveLength(1); // a CRL file is not a store entry
    expect(snapshot.crls.map((c) => [c.source, c.crl.crlNumber])).toEqual([
      ["crls[0]", 1n],
      [`store.folder (${join("crl-folder", "a.crl")})`, 5n],
      [`store.folder (${join("crl-folder", "b.CRL")})`, 6n],
    ]);
  });

  it("bad CRLs are bad input, named by their JSON path (schema agrees on the shapes)", async () => {
    writeFileSync(
      join(dir, "junk.crl"),
      "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
    );
    const cases: [unknown, string, boolean][] = [
      ["crl.der", "crls: expected a list of CRLs, got a string", true],
      [["x"], 'crls[0]: expected {"base64": "…"} or {"path": "…"}, got a string', true],
      [
        [{ base64: "AAAA", path: "x.crl" }],
        'crls[0]: expected exactly one of "base64" or "path"',
        true,
      ],
      [
        [{ url: "http://crl.contoso.com/ca.crl" }],
        'crls[0]: expected exactly one of "base64"',
        true,
      ],
      [[{ base64: "not base64!" }], "crls[0].base64: not base64", false],
      [[{ base64: "MAMCAQE=" }], "crls[0]: not a CRL (", false],
      [[{ path: "missing.crl" }], "crls[0].path: ", false],
      [[{ path: "junk.crl" }], "crls[0] (junk.crl): not a CRL (", false],
    ];
    for (const [crls, expected, schemaRejects] of cases) {
      const json = { ...valid(), crls };
      const problems = await problemsOf(json);
      expect(
        problems.some((p) => p.startsWith(expected)),
        `${expected} in ${problems}`,
      ).toBe(true);
      expect(validateSnapshot(json)).toBe(!schemaRejects);
    }
  });
});

// STARTTLS (S1, S2, S10, E3) and the edition (E1): what the snapshot gains, read as PowerShell
// exports it, and checked by JSON path.
describe("STARTTLS connectors and the edition", () => {
  const WANTED = "<I>CN=R3, O=Let's Encrypt, C=US<S>CN=mail.contoso.com";
  const starttls = (
    fields: Record<string, unknown>,
    direction: "inbound" | "outbound" = "inbound",
  ) =>
    parseSnapshot(
      {
        store: valid().store,
        server: { physicalFqdn: "ex01.contoso.com" },
        ...fields,
      },
      { file, displayName: "snapshot.json", direction, process: "starttls" },
    );
  async function starttlsProblems(
    fields: Record<string, unknown>,
    direction: "inbound" | "outbound" = "inbound",
  ) {
    try {
      await starttls(fields, direction);
    } catch (error) {
      if (error instanceof InputError) return error.problems;
      throw error;
    }
    throw new Error("expected an InputError");
  }

  it("S2, E3: Get-ReceiveConnector's Fqdn (as ConvertTo-Json's object or text), TlsCertificateName and Identity", async () => {
    const json = {
      edition: "2016",
      receiveConnector: {
        AuthMechanism: "Tls, ExchangeServer",
        Fqdn: { Domain: "mail.contoso.com", IncludeSubDomains: false },
        TlsCertificateName: WANTED,
        Identity: "EX01\\Default Frontend EX01",
      },
    };
    assertValid(validateSnapshot, { ...json, store: valid().store, server: { physicalFqdn: "x" } });
    const snapshot = await starttls(json);
    expect(snapshot.edition).toBe("2016");
    expect(snapshot.receiveConnector).toEqual({
      authMechanism: "Tls, ExchangeServer",
      fqdn: "mail.contoso.com",
      tlsCertificateName: WANTED,
      name: "EX01\\Default Frontend EX01",
    });
    expect(snapshot.physicalFqdn).toBe("ex01.contoso.com");
    // No directory: STARTTLS does not read it.
    expect(snapshot.directory).toBeNull();
  });

  it("S10: a Send connector with only its STARTTLS settings; null values are not set; an Identity object is ignored", async () => {
    const snapshot = await starttls(
      {
        sendConnector: { Fqdn: null, TlsCertificateName: null, Identity: { Rdn: "CN=x" } },
        server: { fqdn: "ex01.contoso.com", hostName: "EX01" },
      },
      "outbound",
    );
    expect(snapshot.sendConnector).toEqual({});
    expect(snapshot.edition).toBe("2007");
    // server.fqdn stands in for the physical FQDN (S2: physicalFqdn defaults to fqdn).
    expect(snapshot.physicalFqdn).toBe("ex01.contoso.com");
  });

  it("a whole-object ConvertTo-Json export: Identity (an object) and Name both present are not 'given twice'", async () => {
    const json = {
      edition: "2016",
      receiveConnector: {
        AuthMechanism: "Tls, ExchangeServer",
        Fqdn: { Domain: "mail.contoso.com" },
        Identity: {
          Name: "Default Frontend EX01",
          DistinguishedName: "CN=Default Frontend EX01,…",
        },
        Name: "Default Frontend EX01 (Name)",
        TlsCertificateName: "",
        Bindings: ["0.0.0.0:25"],
      },
    };
    assertValid(validateSnapshot, { ...json, store: valid().store, server: { physicalFqdn: "x" } });
    const snapshot = await starttls(json);
    expect(snapshot.receiveConnector).toEqual({
      authMechanism: "Tls, ExchangeServer",
      fqdn: "mail.contoso.com",
      name: "Default Frontend EX01",
    });
  });

  it("the edition override wins over the snapshot's (--edition)", async () => {
    const snapshot = await parseSnapshot(
      { ...valid(), edition: "2007", role: "Mailbox", deliveryType: "SmtpRelayWithinAdSiteToEdge" },
      { file, displayName: "snapshot.json", direction: "outbound", edition: "2016" },
    );
    expect(snapshot.edition).toBe("2016");
    expect(snapshot.role).toBe("Mailbox");
  });

  const cases: [string, Record<string, unknown>, "inbound" | "outbound", string, boolean][] = [
    // name, fields, direction, expected problem (prefix), also invalid per the JSON Schema
    [
      "E3: a TlsCertificateName in the 2007 edition",
      { receiveConnector: { authMechanism: "Tls", tlsCertificateName: WANTED } },
      "inbound",
      "receiveConnector.tlsCertificateName: the 2007 edition has no TlsCertificateName (E3)",
      false,
    ],
    [
      "E3: a malformed TlsCertificateName",
      { edition: "2016", sendConnector: { tlsCertificateName: "CN=mail.contoso.com" } },
      "outbound",
      'sendConnector.tlsCertificateName: "CN=mail.contoso.com" is not a TlsCertificateName',
      true,
    ],
    [
      "S2: a Fqdn that is not a host name",
      { receiveConnector: { authMechanism: "Tls", fqdn: "mail contoso" } },
      "inbound",
      'receiveConnector.fqdn: "mail contoso" is not a host name',
      false,
    ],
    [
      "a TlsCertificateName that is not text (an object ConvertTo-Json wrote)",
      {
        edition: "2016",
        receiveConnector: { authMechanism: "Tls", TlsCertificateName: { CertificateSubject: "x" } },
      },
      "inbound",
      "receiveConnector.TlsCertificateName: expected <I>issuer<S>subject as text, got an object (export it as text",
      true,
    ],
    [
      "both spellings of the Fqdn",
      { receiveConnector: { authMechanism: "Tls", fqdn: "a.contoso.com", Fqdn: "b.contoso.com" } },
      "inbound",
      "receiveConnector.fqdn: given twice",
      true,
    ],
    [
      "S1: --starttls without a Receive connector",
      {},
      "inbound",
      "receiveConnector: required with --starttls",
      false,
    ],
    [
      "S2: no physical FQDN",
      { receiveConnector: { authMechanism: "Tls" }, server: { hostName: "EX01" } },
      "inbound",
      "server.physicalFqdn: required for STARTTLS",
      false,
    ],
    [
      "S2: a physical FQDN that is not a host name",
      { receiveConnector: { authMechanism: "Tls" }, server: { physicalFqdn: "ex01 contoso" } },
      "inbound",
      'server.physicalFqdn: "ex01 contoso" is not a host name',
      false,
    ],
    [
      "an unknown edition",
      { edition: "2019", receiveConnector: { authMechanism: "Tls" } },
      "inbound",
      'edition: expected "2007" (Exchange 2007, 2010) or "2016"',
      true,
    ],
  ];
  it.each(cases)("%s", async (_name, fields, direction, expected, schemaRejects) => {
    const problems = await starttlsProblems(fields, direction);
    expect(
      problems.some((p) => p.startsWith(expected)),
      problems.join("\n"),
    ).toBe(true);
    if (schemaRejects) {
      expect(
        validateSnapshot({ store: valid().store, server: { physicalFqdn: "x" }, ...fields }),
      ).toBe(false);
    }
  });

  it("E1: each edition's roles; the other edition's role is named as such", async () => {
    const hub2016 = await problemsOf({ ...valid(), edition: "2016", role: "HubTransport" });
    expect(hub2016[0]).toMatch(
      /^role: expected "Mailbox" or "EdgeTransport" in the 2016 edition, got "HubTransport" \("HubTransport" is a 2007-edition role, E1/,
    );
    const mailbox2007 = await problemsOf({ ...valid(), role: "Mailbox" });
    expect(mailbox2007[0]).toMatch(
      /^role: expected "HubTransport" or "EdgeTransport" in the 2007 edition/,
    );
    // E1: a Mailbox server's gate reads the DeliveryType, as a Hub's does.
    const noDelivery = await problemsOf({ ...valid(), edition: "2016", role: "Mailbox" });
    expect(noDelivery[0]).toMatch(/^deliveryType: required/);
  });
});
