// Generates the fixture certificates every rule needs, with fixed dates around one fixed NOW,
// from the committed key pool (test/fixtures/keys). Every certificate meant to be valid stays
// valid until at least 2055 (its notAfter is pushed LONG days out), so the README's examples and
// anyone trying the fixtures against the wall clock get the answers the tests get at NOW; the
// deliberately expired ones stay expired, and not-yet-valid stays not yet valid until 2055. Run with `npm run fixtures`; the output
// (test/fixtures/certs, test/fixtures/directory, test/fixtures/manifest.json and the demo
// snapshots src/demo/snapshot.json and src/demo/starttls-renewal.json) is committed, so tests never generate anything.
//
// ECDSA signatures are randomized, so a re-run changes bytes and thumbprints, never meanings.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { thumbprintOf } from "../src/x509/thumbprint.js";
import {
  type CertSpec,
  forgeCertificate,
  type KeyName,
  OID,
  toPem,
} from "../test/support/forge.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "test", "fixtures");

/** The fixed evaluation time of every test (A4). */
export const NOW = new Date("2025-06-15T12:00:00Z");
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
/**
 * Thirty years: added to the notAfter of every certificate meant to be valid (and to both dates
 * of not-yet-valid), so the fixtures read the same at NOW and at any wall-clock time before 2055.
 * Adding one constant keeps every ordering the rules look at (A11's notAfter ties, a leaf ending
 * before its issuer) exactly as it was.
 */
const LONG = 10_957;
const until = (days: number) => at(days + LONG);

export const SERVER = {
  fqdn: "mail.contoso.com",
  hostName: "EDGE01",
  physicalFqdn: "edge01.contoso.com",
  physicalHostName: "EDGE01",
  clusterName: "cluster.contoso.com",
} as const;

const ROOT_RSA = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Root CA (RSA)"],
] as const;
const INTER_RSA = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Issuing CA (RSA)"],
] as const;
const ROOT_EC = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Root CA (ECDSA)"],
] as const;
const INTER_EC = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Issuing CA (ECDSA)"],
] as const;
const ROOT_OTHER = [
  ["O", "Fabrikam"],
  ["CN", "Fabrikam Root CA"],
] as const;
const INTER_OLD = [
  ["O", "Contoso Test PKI"],
  ["CN", "Contoso Expired Issuing CA"],
] as const;

const CA = { basicConstraints: { ca: true }, keyUsage: ["keyCertSign", "cRLSign"] } as const;
const SERVER_LEAF = {
  basicConstraints: { ca: false },
  keyUsage: ["digitalSignature", "keyEncipherment"],
  eku: [OID.serverAuth, OID.clientAuth],
} as const;
const SELF = {
  keyUsage: ["digitalSignature", "keyEncipherment"],
  eku: [OID.serverAuth, OID.clientAuth],
} as const;

interface Fixture {
  readonly description: string;
  readonly spec: CertSpec;
}

let serial = 0x1000;
function cert(description: string, spec: Omit<CertSpec, "serial">): Fixture {
  serial += 1;
  return { description, spec: { ...spec, serial } };
}

/** Every fixture certificate, by name. Order matters only for serial numbers. */
export const FIXTURES: Record<string, Fixture> = {
  "root-rsa": cert("RSA root CA (trust anchor)", {
    subject: ROOT_RSA,
    notBefore: at(-3650),
    notAfter: until(3650),
    key: "rsa-1",
    ...CA,
  }),
  "inter-rsa": cert("RSA issuing CA under root-rsa", {
    subject: INTER_RSA,
    issuer: ROOT_RSA,
    notBefore: at(-1825),
    notAfter: until(1825),
    key: "rsa-2",
    signer: "rsa-1",
    ...CA,
  }),
  "leaf-rsa": cert("mail.contoso.com, RSA, root-rsa → inter-rsa → leaf", {
    subject: [
      ["O", "Contoso"],
      ["CN", "mail.contoso.com"],
    ],
    issuer: INTER_RSA,
    notBefore: at(-20),
    notAfter: until(345),
    key: "rsa-3",
    signer: "rsa-2",
    san: ["mail.contoso.com", "edge01.contoso.com"],
    ...SERVER_LEAF,
  }),
  "root-ec": cert("ECDSA P-384 root CA (trust anchor)", {
    subject: ROOT_EC,
    notBefore: at(-3650),
    notAfter: until(3650),
    key: "p384-1",
    ...CA,
  }),
  "inter-ec": cert("ECDSA P-256 issuing CA under root-ec", {
    subject: INTER_EC,
    issuer: ROOT_EC,
    notBefore: at(-1825),
    notAfter: until(1825),
    key: "p256-1",
    signer: "p384-1",
    ...CA,
  }),
  "leaf-ec": cert("mail.contoso.com, ECDSA, root-ec → inter-ec → leaf, newer than leaf-rsa", {
    subject: [["CN", "mail.contoso.com"]],
    issuer: INTER_EC,
    notBefore: at(-10),
    notAfter: until(355),
    key: "p256-2",
    signer: "p256-1",
    san: ["mail.contoso.com"],
    ...SERVER_LEAF,
  }),
  "self-signed": cert("self-signed v3 mail.contoso.com (as New-ExchangeCertificate makes)", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-30),
    notAfter: until(335),
    key: "rsa-4",
    san: ["mail.contoso.com", "EDGE01", "edge01.contoso.com"],
    ...SELF,
  }),
  "self-signed-old": cert("older self-signed mail.contoso.com", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-400),
    notAfter: until(330),
    key: "p256-3",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  "self-signed-newest": cert("the newest self-signed mail.contoso.com", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-1),
    notAfter: until(364),
    key: "p256-4",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  expired: cert("self-signed mail.contoso.com that expired yesterday", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-366),
    notAfter: at(-1),
    key: "rsa-5",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  "not-yet-valid": cert("self-signed mail.contoso.com valid from 30 years and 10 days after NOW", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: until(10),
    notAfter: until(375),
    key: "p256-5",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  "expiring-soon": cert("self-signed mail.contoso.com that expires in 5 days", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-360),
    notAfter: at(5),
    key: "p256-6",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  v1: cert("X.509 version 1 mail.contoso.com (no extensions)", {
    version: 1,
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-5),
    notAfter: until(360),
    key: "rsa-6",
  }),
  "host-name": cert("CN=EDGE01 only (the host name)", {
    subject: [["CN", "EDGE01"]],
    notBefore: at(-40),
    notAfter: until(325),
    key: "p256-3",
    ...SELF,
  }),
  "physical-fqdn": cert("SAN edge01.contoso.com only (the physical FQDN)", {
    subject: [["O", "Contoso"]],
    notBefore: at(-41),
    notAfter: until(324),
    key: "p256-4",
    san: ["edge01.contoso.com"],
    ...SELF,
  }),
  cluster: cert("SAN cluster.contoso.com (the NLB cluster name)", {
    subject: [["CN", "cluster.contoso.com"]],
    notBefore: at(-42),
    notAfter: until(323),
    key: "p256-5",
    san: ["cluster.contoso.com"],
    ...SELF,
  }),
  "san-only": cert("mail.contoso.com in the SAN only, empty subject", {
    subject: [],
    notBefore: at(-43),
    notAfter: until(322),
    key: "p256-6",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  "cn-only": cert("mail.contoso.com in the CN only, with a SAN naming another host (A7)", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-44),
    notAfter: until(321),
    key: "rsa-4",
    san: ["other.contoso.com"],
    ...SELF,
  }),
  "tie-a": cert("equal notBefore as tie-b, later notAfter (A11)", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-50),
    notAfter: until(400),
    key: "p256-3",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  "tie-b": cert("equal notBefore as tie-a, earlier notAfter (A11)", {
    subject: [["CN", "mail.contoso.com"]],
    notBefore: at(-50),
    notAfter: until(300),
    key: "p256-4",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  "tie-c": cert("equal notBefore and notAfter as tie-d: thumbprint decides (A11)", {
    subject: [
      ["CN", "mail.contoso.com"],
      ["OU", "c"],
    ],
    notBefore: at(-60),
    notAfter: until(200),
    key: "p256-5",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  "tie-d": cert("equal notBefore and notAfter as tie-c: thumbprint decides (A11)", {
    subject: [
      ["CN", "mail.contoso.com"],
      ["OU", "d"],
    ],
    notBefore: at(-60),
    notAfter: until(200),
    key: "p256-6",
    san: ["mail.contoso.com"],
    ...SELF,
  }),
  wildcard: cert("*.contoso.com (matches only with wildcardNames, A5)", {
    subject: [["CN", "*.contoso.com"]],
    notBefore: at(-2),
    notAfter: until(363),
    key: "rsa-5",
    san: ["*.contoso.com"],
    ...SELF,
  }),
  evil: cert("evilcontoso.com and mail.contoso.com.evil.net (A2 traps)", {
    subject: [["CN", "evilcontoso.com"]],
    notBefore: at(-3),
    notAfter: until(362),
    key: "rsa-6",
    san: ["evilcontoso.com", "mail.contoso.com.evil.net"],
    ...SELF,
  }),
  "root-other": cert("Fabrikam root CA (not a trust anchor)", {
    subject: ROOT_OTHER,
    notBefore: at(-3650),
    notAfter: until(3650),
    key: "p384-2",
    ...CA,
  }),
  "leaf-untrusted": cert("mail.contoso.com issued by the untrusted Fabrikam root", {
    subject: [["CN", "mail.contoso.com"]],
    issuer: ROOT_OTHER,
    notBefore: at(-4),
    notAfter: until(361),
    key: "p256-3",
    signer: "p384-2",
    san: ["mail.contoso.com"],
    ...SERVER_LEAF,
  }),
  "inter-expired": cert("issuing CA under root-rsa that expired 10 days ago", {
    subject: INTER_OLD,
    issuer: ROOT_RSA,
    notBefore: at(-800),
    notAfter: at(-10),
    key: "rsa-5",
    signer: "rsa-1",
    ...CA,
  }),
  "leaf-expired-chain": cert("mail.contoso.com under the expired issuing CA (not valid PKI, A3)", {
    subject: [["CN", "mail.contoso.com"]],
    issuer: INTER_OLD,
    notBefore: at(-6),
    notAfter: until(359),
    key: "p256-4",
    signer: "rsa-5",
    san: ["mail.contoso.com"],
    ...SERVER_LEAF,
  }),
  "leaf-rsa-older": cert(
    "older mail.contoso.com under inter-rsa (valid PKI, ranks below leaf-rsa)",
    {
      subject: [["CN", "mail.contoso.com"]],
      issuer: INTER_RSA,
      notBefore: at(-200),
      notAfter: until(165),
      key: "p256-5",
      signer: "rsa-2",
      san: ["mail.contoso.com"],
      ...SERVER_LEAF,
    },
  ),
};

/** The Windows serialized-certificate blob: property records, the certificate as id 32. */
export function serializedCertificate(der: Uint8Array): Uint8Array {
  const record = (id: number, data: Uint8Array) => {
    const header = Buffer.alloc(12);
    header.writeUInt32LE(id, 0);
    header.writeUInt32LE(1, 4);
    header.writeUInt32LE(data.length, 8);
    return Buffer.concat([header, Buffer.from(data)]);
  };
  // Windows writes other properties first: a SHA-1 hash (id 3) and a friendly name (id 11).
  const sha1 = Buffer.from(thumbprintOf(der), "hex");
  const friendlyName = Buffer.from("Microsoft Exchange\0", "utf16le");
  return new Uint8Array(
    Buffer.concat([record(3, sha1), record(11, friendlyName), record(32, der)]),
  );
}

async function main(): Promise<void> {
  const certDir = join(out, "certs");
  const directoryDir = join(out, "directory");
  rmSync(certDir, { recursive: true, force: true });
  rmSync(directoryDir, { recursive: true, force: true });
  mkdirSync(certDir, { recursive: true });
  mkdirSync(directoryDir, { recursive: true });

  const manifest: Record<
    string,
    { file: string; key: KeyName; thumbprint: string; description: string }
  > = {};
  const ders: Record<string, Uint8Array> = {};
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    const der = await forgeCertificate(fixture.spec);
    ders[name] = der;
    writeFileSync(join(certDir, `${name}.pem`), toPem(der));
    manifest[name] = {
      file: `certs/${name}.pem`,
      key: fixture.spec.key,
      thumbprint: thumbprintOf(der),
      description: fixture.description,
    };
  }

  // The directory attribute in its three forms (docs/rules.md, "Values"), for self-signed.
  const directoryCert = ders["self-signed"]!;
  const thumbprint = thumbprintOf(directoryCert);
  const pasted = `\u200e${thumbprint.toLowerCase().replace(/(..)/g, "$1 ").trim()}`;
  writeFileSync(join(directoryDir, "thumbprint.txt"), pasted);
  writeFileSync(join(directoryDir, "certificate.der"), directoryCert);
  writeFileSync(join(directoryDir, "serialized.bin"), serializedCertificate(directoryCert));

  writeFileSync(
    join(out, "manifest.json"),
    `${JSON.stringify({ now: NOW.toISOString(), server: SERVER, directory: { certificate: "self-signed", thumbprint }, certificates: manifest }, null, 2)}\n`,
  );
  await writeDemo();
  console.log(`wrote ${Object.keys(manifest).length} certificates to ${certDir}`);
}

/**
 * The demo: an Edge server renewed its self-signed certificate, but the directory (through the
 * Edge subscription) still names the old one, so the selection keeps the old certificate and
 * logs 1037. Dates are long, so the demo reads well against the wall clock for years.
 * RSA keys only: PKCS#1 v1.5 signatures are deterministic, so re-running the generator leaves
 * the demo's thumbprints (and the README's transcript of it) unchanged.
 */
async function writeDemo(): Promise<void> {
  const real = (iso: string) => new Date(iso);
  const subject = [["CN", "edge01.contoso.com"]] as const;
  const certificates = {
    current: await forgeCertificate({
      serial: 0xd1,
      subject,
      notBefore: real("2025-01-10T00:00:00Z"),
      notAfter: real("2035-01-10T00:00:00Z"),
      key: "rsa-3",
      san: ["edge01.contoso.com", "EDGE01"],
      ...SELF,
    }),
    renewed: await forgeCertificate({
      serial: 0xd2,
      subject,
      notBefore: real("2026-09-01T00:00:00Z"),
      notAfter: real("2036-09-01T00:00:00Z"),
      key: "rsa-4",
      san: ["edge01.contoso.com", "EDGE01"],
      ...SELF,
    }),
    iis: await forgeCertificate({
      serial: 0xd3,
      subject: [["CN", "owa.contoso.com"]],
      notBefore: real("2026-01-05T00:00:00Z"),
      notAfter: real("2036-01-05T00:00:00Z"),
      key: "rsa-5",
      san: ["owa.contoso.com"],
      ...SELF,
    }),
    noKey: await forgeCertificate({
      serial: 0xd4,
      subject,
      notBefore: real("2026-10-01T00:00:00Z"),
      notAfter: real("2036-10-01T00:00:00Z"),
      key: "rsa-6",
      san: ["edge01.contoso.com"],
      ...SELF,
    }),
  };
  const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
  // The shape the README's PowerShell export writes: store entries under Get-ExchangeCertificate's
  // property names, and the directory attribute as AD holds it (a serialized-certificate blob).
  // evaluatedAt pins the demo's "now", so its output (and the README transcript) never drifts.
  const storeEntry = (der: Uint8Array, hasPrivateKey: boolean, services: string) => ({
    Thumbprint: thumbprintOf(der),
    RawData: b64(der),
    HasPrivateKey: hasPrivateKey,
    Services: services,
  });
  const snapshot = {
    $schema: "../cli/snapshot.schema.json",
    description:
      "Demo: EDGE01 renewed its certificate, but the Edge subscription still names the old one",
    evaluatedAt: "2026-11-02T08:30:00.000Z",
    role: "EdgeTransport",
    sendConnector: {
      name: "EdgeSync - Inbound to Default-First-Site-Name",
      smartHostAuthMechanism: "ExchangeServer",
      addressSpaces: ["SMTP:--;1"],
    },
    receiveConnector: { authMechanism: "Tls, ExchangeServer" },
    server: {
      fqdn: "edge01.contoso.com",
      hostName: "EDGE01",
      physicalFqdn: "edge01.contoso.com",
      physicalHostName: "EDGE01",
    },
    directory: { base64: b64(serializedCertificate(certificates.current)) },
    store: [
      storeEntry(certificates.current, true, "SMTP"),
      storeEntry(certificates.renewed, true, "IMAP, POP, SMTP"),
      storeEntry(certificates.iis, true, "IIS"),
      storeEntry(certificates.noKey, false, "SMTP"),
    ],
  };
  mkdirSync(join(root, "src", "demo"), { recursive: true });
  writeFileSync(
    join(root, "src", "demo", "snapshot.json"),
    `${JSON.stringify(snapshot, null, 2)}\n`,
  );
  await writeStartTlsDemo();
}

/**
 * The STARTTLS demo (src/demo/starttls-renewal.json), the classic 12014 of the 2016 edition
 * (S3, E3): the front-end Receive connector's TlsCertificateName names the public certificate,
 * an organisation-validated one (subject CN, O, L, S, C); the renewal, from the same issuing CA,
 * is domain-validated (subject CN only), the old certificate was removed, and nobody ran
 * Set-ReceiveConnector -TlsCertificateName. No store certificate has the wanted subject, so
 * STARTTLS is not advertised (12014); the hybrid Send connector names the same certificate, so
 * outbound sessions fail with 454 4.7.5 (S11). RSA keys from the pool (deterministic signatures), so a
 * re-run leaves the thumbprints, and the README's transcript, unchanged. Real dates, pinned by
 * evaluatedAt like the anonymous demo.
 */
async function writeStartTlsDemo(): Promise<void> {
  const real = (iso: string) => new Date(iso);
  const CA_ROOT = [
    ["C", "US"],
    ["O", "Fabrikam Trust Services"],
    ["CN", "Fabrikam Root CA"],
  ] as const;
  const CA_2024 = [
    ["C", "US"],
    ["O", "Fabrikam Trust Services"],
    ["CN", "Fabrikam TLS RSA CA 2024"],
  ] as const;
  const caRoot = await forgeCertificate({
    serial: 0xe1,
    subject: CA_ROOT,
    notBefore: real("2020-01-01T00:00:00Z"),
    notAfter: real("2045-01-01T00:00:00Z"),
    key: "rsa-1",
    ...CA,
  });
  const issuing2024 = await forgeCertificate({
    serial: 0xe2,
    subject: CA_2024,
    issuer: CA_ROOT,
    notBefore: real("2024-03-01T00:00:00Z"),
    notAfter: real("2034-03-01T00:00:00Z"),
    key: "rsa-2",
    signer: "rsa-1",
    ...CA,
  });
  // The renewal: the same issuing CA, but domain-validated: its subject no longer holds the
  // organisation the old certificate's did.
  const renewed = await forgeCertificate({
    serial: 0xe3,
    subject: [["CN", "mail.contoso.com"]],
    issuer: CA_2024,
    notBefore: real("2026-10-20T00:00:00Z"),
    notAfter: real("2027-11-20T23:59:59Z"),
    key: "rsa-3",
    signer: "rsa-2",
    san: ["mail.contoso.com", "autodiscover.contoso.com"],
    ...SERVER_LEAF,
  });
  // What Exchange setup makes: its self-signed certificate and the OAuth certificate.
  const selfSigned = await forgeCertificate({
    serial: 0xe4,
    subject: [["CN", "EX01"]],
    notBefore: real("2024-03-04T00:00:00Z"),
    notAfter: real("2029-03-04T00:00:00Z"),
    key: "rsa-4",
    san: ["EX01", "ex01.contoso.com"],
    ...SELF,
  });
  const auth = await forgeCertificate({
    serial: 0xe5,
    subject: [["CN", "Microsoft Exchange Server Auth Certificate"]],
    notBefore: real("2024-03-04T00:00:00Z"),
    notAfter: real("2029-02-06T00:00:00Z"),
    key: "rsa-5",
    ...SELF,
  });
  const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
  const storeEntry = (der: Uint8Array, services: string) => ({
    Thumbprint: thumbprintOf(der),
    RawData: b64(der),
    HasPrivateKey: true,
    Services: services,
  });
  // As Get-ReceiveConnector / Get-SendConnector print it (E3: issuer, then subject, each most
  // specific first, S= for the state): the OLD, organisation-validated certificate.
  const oldCertificate =
    "<I>CN=Fabrikam TLS RSA CA 2024, O=Fabrikam Trust Services, C=US<S>CN=mail.contoso.com, O=Contoso Ltd, L=Redmond, S=WA, C=US";
  const snapshot = {
    $schema: "../cli/snapshot.schema.json",
    description:
      "Demo (run with --starttls): EX01's public certificate was renewed, and the renewal's subject is no longer the one the connectors' TlsCertificateName names (12014)",
    evaluatedAt: "2026-11-02T08:30:00.000Z",
    edition: "2016",
    receiveConnector: {
      Identity: "EX01\\Default Frontend EX01",
      AuthMechanism: "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
      Fqdn: "mail.contoso.com",
      TlsCertificateName: oldCertificate,
    },
    sendConnector: {
      Identity: "Outbound to Office 365 - 3c8b4a1e-4c5f-4a7e-9d3c-2b1f0e6a9d10",
      Fqdn: "mail.contoso.com",
      TlsCertificateName: oldCertificate,
    },
    server: { fqdn: "ex01.contoso.com", hostName: "EX01", physicalFqdn: "ex01.contoso.com" },
    store: [
      storeEntry(selfSigned, "IMAP, POP, IIS, SMTP"),
      storeEntry(auth, "SMTP"),
      storeEntry(renewed, "IIS, SMTP"),
    ],
    trustAnchors: [b64(caRoot)],
    intermediates: [b64(issuing2024)],
  };
  writeFileSync(
    join(root, "src", "demo", "starttls-renewal.json"),
    `${JSON.stringify(snapshot, null, 2)}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // --demo-only rewrites just the demo snapshots (src/demo), so the committed test fixtures (whose
  // ECDSA signatures, and so thumbprints, change on every run) are left alone.
  if (process.argv.includes("--demo-only")) await writeDemo();
  else await main();
}
