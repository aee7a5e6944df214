// An Exchange-like directory for the LDAP tests: a test schema with msExchServerInternalTLSCert,
// the configuration tree Exchange 2007 creates under CN=Configuration, and server objects whose
// attribute is a Windows serialized-cert blob, a plain DER certificate, or absent (R3, R4).
//
// The schema lives under 2.25.216395219127194362612418232425128352900, an OID made from a random
// UUID (ITU-T X.667 §6.3): private to this test suite and unable to clash with AD's real OIDs,
// which this file deliberately does not reuse.
import { createHash } from "node:crypto";

import { forgeCertificate, OID, poolKey, toPem } from "../support/forge.js";
import type { SlapdConfig } from "../support/slapd.js";

const ARC = "2.25.216395219127194362612418232425128352900";

/** One fixed evaluation time for the certificates in this tree (STYLE: one NOW). */
export const NOW = new Date("2026-06-01T12:00:00Z");

export const SUFFIX = "DC=contoso,DC=com";
export const CONFIGURATION = `CN=Configuration,${SUFFIX}`;
export const ORGANIZATION = `CN=First Organization,CN=Microsoft Exchange,CN=Services,${CONFIGURATION}`;
export const ADMIN_GROUPS = `CN=Administrative Groups,${ORGANIZATION}`;
export const SERVERS = `CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),${ADMIN_GROUPS}`;
export const SECOND_SERVERS = `CN=Servers,CN=Second Administrative Group,${ADMIN_GROUPS}`;

export const ADMIN_DN = `CN=admin,${SUFFIX}`;
export const ADMIN_PASSWORD = "admin-secret";
/** The account allowed to read msExchServerInternalTLSCert (like Exchange Servers in AD). */
export const READER_DN = `CN=reader,${SUFFIX}`;
export const READER_PASSWORD = "reader-secret";

/** A server name made of every character that means something in an LDAP filter. */
export const ODD_NAME = "EDGE04*)(|(cn=*";
export const ODD_VALUE = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);

export const SCHEMA = `
attributetype ( ${ARC}.1.1 NAME 'msExchServerInternalTLSCert'
  DESC 'test stand-in: the internal transport certificate (serialized cert blob or DER)'
  EQUALITY octetStringMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( ${ARC}.1.2 NAME 'configurationNamingContext'
  DESC 'test stand-in: the root DSE attribute naming the configuration partition'
  EQUALITY distinguishedNameMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 SINGLE-VALUE )
objectclass ( ${ARC}.2.1 NAME 'container'
  DESC 'test stand-in for AD container' SUP top STRUCTURAL MUST cn )
objectclass ( ${ARC}.2.2 NAME 'msExchExchangeServer'
  DESC 'test stand-in for the Exchange server object' SUP top STRUCTURAL
  MUST cn MAY msExchServerInternalTLSCert )
`;

export const ACL = [
  "access to attrs=userPassword by anonymous auth by * none",
  // Only the reader (and the rootdn) may read the certificate: anonymous readers see the object
  // without the attribute, which is how AD answers an account without Read Property.
  `access to attrs=msExchServerInternalTLSCert by dn.exact="${READER_DN}" read by * none`,
  "access to * by * read",
] as const;

// RFC 4514: hex-escape every character a DN value may not hold literally (and a few harmless
// extras), so that names with filter metacharacters still make valid DNs.
function escapeDnValue(value: string): string {
  return value.replace(
    /[,+"\\<>;=#*()|]/g,
    (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

export const dnOf = (name: string, parent = SERVERS): string =>
  `CN=${escapeDnValue(name)},${parent}`;

/**
 * What Windows' X509Certificate2.Export(SerializedCert) writes (docs/rules.md, "Values"):
 * little-endian records { u32 property id, u32 reserved = 1, u32 length, bytes }. As Windows
 * does, properties come first (SHA-1 hash = 3, friendly name = 11, key identifier = 20) and the
 * certificate (property 32) last.
 */
export function serializedCertBlob(der: Uint8Array): Uint8Array {
  const record = (id: number, bytes: Uint8Array): Buffer => {
    const header = Buffer.alloc(12);
    header.writeUInt32LE(id, 0);
    header.writeUInt32LE(1, 4);
    header.writeUInt32LE(bytes.length, 8);
    return Buffer.concat([header, bytes]);
  };
  const sha1 = createHash("sha1").update(der).digest();
  const friendlyName = Buffer.from("Microsoft Exchange\0", "utf16le");
  const keyId = createHash("sha1").update(der.subarray(0, 64)).digest();
  return new Uint8Array(
    Buffer.concat([record(3, sha1), record(11, friendlyName), record(20, keyId), record(32, der)]),
  );
}

export function thumbprint(der: Uint8Array): string {
  return createHash("sha1").update(der).digest("hex").toUpperCase();
}

export interface ExchangeTree {
  readonly slapd: SlapdConfig;
  /** EDGE01's certificate (its attribute holds the serialized blob of it). */
  readonly edge01Der: Uint8Array;
  readonly edge01Blob: Uint8Array;
  /** EDGE02's attribute holds this DER as is. */
  readonly edge02Der: Uint8Array;
  /** The CA that issued slapd's TLS certificate (for ldaps:// and StartTLS). */
  readonly tlsCaPem: string;
  /** The name in slapd's TLS certificate. */
  readonly tlsServerName: string;
}

const TLS_SERVER_NAME = "ldap.contoso.test";

export async function buildExchangeTree(): Promise<ExchangeTree> {
  // Real certificates from the committed key pool (never generated keys).
  const edge01Der = await forgeCertificate({
    subject: [["CN", "edge01.contoso.com"]],
    notBefore: new Date("2026-01-01T00:00:00Z"),
    notAfter: new Date("2027-01-01T00:00:00Z"),
    key: "rsa-1",
    san: ["edge01.contoso.com", "EDGE01"],
  });
  const edge02Der = await forgeCertificate({
    subject: [["CN", "edge02.contoso.com"]],
    notBefore: new Date("2026-01-01T00:00:00Z"),
    notAfter: new Date("2027-01-01T00:00:00Z"),
    key: "rsa-1",
    san: ["edge02.contoso.com", "EDGE02"],
  });
  const edge01Blob = serializedCertBlob(edge01Der);

  // slapd's TLS certificate is checked by Node against the wall clock, so its window is wide.
  const caName = [["CN", "Contoso Test LDAP CA"]] as const;
  const tlsCa = await forgeCertificate({
    subject: caName,
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2099-12-31T00:00:00Z"),
    key: "rsa-2",
    basicConstraints: { ca: true },
    keyUsage: ["keyCertSign", "cRLSign"],
  });
  const tlsLeaf = await forgeCertificate({
    subject: [["CN", TLS_SERVER_NAME]],
    issuer: caName,
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2099-12-31T00:00:00Z"),
    key: "rsa-3",
    signer: "rsa-2",
    serial: 2,
    san: [TLS_SERVER_NAME],
    keyUsage: ["digitalSignature", "keyEncipherment"],
    eku: [OID.serverAuth],
  });

  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
  const entry = (dn: string, lines: readonly string[]): string =>
    [`dn:: ${Buffer.from(dn).toString("base64")}`, ...lines, ""].join("\n");
  const container = (dn: string, cn: string): string =>
    entry(dn, ["objectClass: container", `cn:: ${Buffer.from(cn).toString("base64")}`]);
  const server = (name: string, value?: Uint8Array, parent = SERVERS): string =>
    entry(dnOf(name, parent), [
      "objectClass: msExchExchangeServer",
      `cn:: ${Buffer.from(name).toString("base64")}`,
      ...(value === undefined ? [] : [`msExchServerInternalTLSCert:: ${b64(value)}`]),
    ]);

  const ldif = [
    entry(SUFFIX, [
      "objectClass: dcObject",
      "objectClass: organization",
      "dc: contoso",
      "o: Contoso",
    ]),
    entry(READER_DN, [
      "objectClass: applicationProcess",
      "objectClass: simpleSecurityObject",
      "cn: reader",
      `userPassword: ${READER_PASSWORD}`,
    ]),
    container(CONFIGURATION, "Configuration"),
    container(`CN=Services,${CONFIGURATION}`, "Services"),
    container(`CN=Microsoft Exchange,CN=Services,${CONFIGURATION}`, "Microsoft Exchange"),
    container(ORGANIZATION, "First Organization"),
    container(ADMIN_GROUPS, "Administrative Groups"),
    container(
      `CN=Exchange Administrative Group (FYDIBOHF23SPDLT),${ADMIN_GROUPS}`,
      "Exchange Administrative Group (FYDIBOHF23SPDLT)",
    ),
    container(SERVERS, "Servers"),
    server("EDGE01", edge01Blob),
    server("EDGE02", edge02Der),
    server("EDGE03"),
    server(ODD_NAME, ODD_VALUE),
    // Not a server: found by name only when the object class is configured to "container".
    container(dnOf("EDGE05"), "EDGE05"),
    // The same name in two administrative groups: a lookup by name is ambiguous.
    server("DUP", edge02Der),
    container(`CN=Second Administrative Group,${ADMIN_GROUPS}`, "Second Administrative Group"),
    container(SECOND_SERVERS, "Servers"),
    server("DUP", edge01Blob, SECOND_SERVERS),
  ].join("\n");

  return {
    slapd: {
      schema: SCHEMA,
      suffix: SUFFIX,
      rootDN: ADMIN_DN,
      rootPassword: ADMIN_PASSWORD,
      acl: ACL,
      ldif,
      rootDSE: `configurationNamingContext: ${CONFIGURATION}\n`,
      tls: { certificate: toPem(tlsLeaf), key: poolKey("rsa-3").privateKeyPem },
    },
    edge01Der,
    edge01Blob,
    edge02Der,
    tlsCaPem: toPem(tlsCa),
    tlsServerName: TLS_SERVER_NAME,
  };
}
