// Trust anchors in every shape public roots really have (A17), each anchoring a chain
// root -> intermediate -> leaf, built at test time from the committed key pool (RSA PKCS#1 v1.5
// signatures, so the same bytes every run).
//
// Q: where do these shapes come from?
// A: the Mozilla roots and the vectors the corpus test reads: Go Daddy Class 2 and Starfield
//    (serial 0), QuoVadis and Certigna (authority key identifier naming issuer and serial),
//    Verisign's class 3 and the pyca/cryptography v1 roots (version 1, no extensions), roots
//    with a non-critical basicConstraints or no subject key identifier, and negative serials
//    (seen in the wild, e.g. pyca's custom/negative_serial.pem).
// Q: why re-sign instead of asking the forge for these shapes?
// A: test/support/forge.ts writes serials as unsigned and key identifiers as key ids only; the
//    shapes that it cannot write are made by editing its TBSCertificate and signing again.
import { sign } from "node:crypto";

import { OctetString } from "@peculiar/asn1-schema";

import { AsnConvert, asn1x509 } from "../../src/x509/x509.js";
import {
  type CertSpec,
  forgeCertificate,
  type KeyName,
  type NameSpec,
  OID,
  poolKey,
  toPem,
} from "../support/forge.js";

export const NOW = new Date("2024-06-01T12:00:00Z");
const ROOT_KEY: KeyName = "rsa-1";
const INTERMEDIATE_KEY: KeyName = "rsa-2";
const LEAF_KEY: KeyName = "rsa-3";

const name = (shape: string, role: string): NameSpec => [
  ["O", "Real-world shapes"],
  ["OU", shape],
  ["CN", `${role} ${shape}`],
];

/** A root spec with everything a modern root has: v3, serial, SKI, critical cA, keyUsage. */
function modernRoot(shape: string): CertSpec {
  return {
    serial: "52a1",
    subject: name(shape, "Root"),
    notBefore: new Date("2010-01-01T00:00:00Z"),
    notAfter: new Date("2040-01-01T00:00:00Z"),
    key: ROOT_KEY,
    basicConstraints: { ca: true },
    keyUsage: ["keyCertSign", "cRLSign"],
  };
}

/** Edits a forged certificate's TBSCertificate and signs it again with `signer`. */
export function resign(
  der: Uint8Array,
  signer: KeyName,
  edit: (tbs: asn1x509.TBSCertificate) => void,
): Uint8Array {
  const certificate = AsnConvert.parse(der, asn1x509.Certificate);
  edit(certificate.tbsCertificate);
  const tbs = new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate));
  // sha256WithRSAEncryption, as forged: the algorithm fields stay as they are.
  const signature = sign("sha256", tbs, poolKey(signer).privateKeyPem);
  certificate.signatureValue = new Uint8Array(signature).buffer;
  return new Uint8Array(AsnConvert.serialize(certificate));
}

const AKI = "2.5.29.35";

/** An authorityKeyIdentifier naming the certificate's own issuer and serial (and keyId, if any). */
function issuerAndSerialAki(
  tbs: asn1x509.TBSCertificate,
  keyIdentifier: ArrayBuffer | undefined,
): asn1x509.Extension {
  const aki = new asn1x509.AuthorityKeyIdentifier({
    ...(keyIdentifier === undefined
      ? {}
      : { keyIdentifier: new asn1x509.KeyIdentifier(keyIdentifier) }),
    authorityCertIssuer: new asn1x509.GeneralNames([
      new asn1x509.GeneralName({ directoryName: tbs.issuer }),
    ]),
    authorityCertSerialNumber: tbs.serialNumber,
  });
  return new asn1x509.Extension({
    extnID: AKI,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(aki)),
  });
}

function subjectKeyId(tbs: asn1x509.TBSCertificate): ArrayBuffer | undefined {
  const ski = tbs.extensions?.find((e) => e.extnID === "2.5.29.14");
  if (ski === undefined) return undefined;
  return AsnConvert.parse(ski.extnValue.buffer, asn1x509.SubjectKeyIdentifier).buffer;
}

function authorityKeyId(tbs: asn1x509.TBSCertificate): ArrayBuffer | undefined {
  const aki = tbs.extensions?.find((e) => e.extnID === AKI);
  if (aki === undefined) return undefined;
  return AsnConvert.parse(aki.extnValue.buffer, asn1x509.AuthorityKeyIdentifier).keyIdentifier
    ?.buffer;
}

export interface Shape {
  readonly id: string;
  /** What is unusual about the root, and which real roots have it. */
  readonly description: string;
  readonly root: () => Promise<Uint8Array>;
  /**
   * The intermediate's authority key identifier also names the root's issuer and serial, as
   * the intermediates under Go Daddy Class 2 do (DirName + serial:00): path building must match
   * the root by that serial, whatever its form.
   */
  readonly linkByIssuerAndSerial?: "root-serial" | "wrong-serial";
}

export const SHAPES: readonly Shape[] = [
  {
    id: "modern",
    description: "control: v3, positive serial, SKI, critical cA, keyUsage",
    root: () => forgeCertificate(modernRoot("modern")),
  },
  {
    id: "serial-zero",
    description: "serial number 0 (Go Daddy Class 2, Starfield Class 2)",
    root: () => forgeCertificate({ ...modernRoot("serial-zero"), serial: "00" }),
  },
  {
    id: "negative-serial",
    description: "negative serial number",
    root: async () =>
      resign(await forgeCertificate(modernRoot("negative-serial")), ROOT_KEY, (tbs) => {
        tbs.serialNumber = new Uint8Array([0x85, 0x21, 0x7a, 0x0b]).buffer;
      }),
  },
  {
    id: "version-1",
    description: "version 1, so no extensions at all: basicConstraints absent (Verisign class 3)",
    root: () => forgeCertificate({ ...modernRoot("version-1"), version: 1 }),
  },
  {
    id: "aki-issuer-serial",
    description: "authority key identifier with keyId, issuer and serial (QuoVadis, Certigna)",
    root: async () =>
      resign(await forgeCertificate(modernRoot("aki-issuer-serial")), ROOT_KEY, (tbs) => {
        tbs.extensions!.push(issuerAndSerialAki(tbs, subjectKeyId(tbs)));
      }),
  },
  {
    id: "aki-issuer-serial-only",
    description: "authority key identifier with issuer and serial and no keyId",
    root: async () =>
      resign(await forgeCertificate(modernRoot("aki-issuer-serial-only")), ROOT_KEY, (tbs) => {
        tbs.extensions!.push(issuerAndSerialAki(tbs, undefined));
      }),
  },
  {
    id: "no-ski",
    description: "no subject key identifier",
    root: () => forgeCertificate({ ...modernRoot("no-ski"), ski: false }),
  },
  {
    id: "bc-not-critical",
    description: "basicConstraints cA=true not marked critical",
    root: () =>
      forgeCertificate({
        ...modernRoot("bc-not-critical"),
        basicConstraints: { ca: true, critical: false },
      }),
  },
  {
    id: "no-key-usage",
    description: "v3 with cA=true and no keyUsage (older roots)",
    root: () => {
      const { keyUsage: _, ...spec } = modernRoot("no-key-usage");
      return forgeCertificate(spec);
    },
  },
  {
    id: "v3-no-bc",
    description: "v3 with keyCertSign but no basicConstraints",
    root: () => {
      const { basicConstraints: _, ...spec } = modernRoot("v3-no-bc");
      return forgeCertificate(spec);
    },
  },
  {
    id: "go-daddy-class-2",
    description:
      "all at once, like Go Daddy Class 2: serial 0, AKI with keyId+issuer+serial, cA not critical, no keyUsage",
    root: async () => {
      const { keyUsage: _, ...spec } = modernRoot("go-daddy-class-2");
      const der = await forgeCertificate({
        ...spec,
        serial: "00",
        basicConstraints: { ca: true, critical: false },
      });
      return resign(der, ROOT_KEY, (tbs) => {
        tbs.extensions!.push(issuerAndSerialAki(tbs, subjectKeyId(tbs)));
      });
    },
  },
  {
    id: "serial-zero-linked",
    description: "serial 0, and the intermediate's AKI names the root's issuer and serial 0",
    root: () => forgeCertificate({ ...modernRoot("serial-zero-linked"), serial: "00" }),
    linkByIssuerAndSerial: "root-serial",
  },
  {
    id: "negative-serial-linked",
    description: "negative serial, and the intermediate's AKI names the root's issuer and serial",
    root: async () =>
      resign(await forgeCertificate(modernRoot("negative-serial-linked")), ROOT_KEY, (tbs) => {
        tbs.serialNumber = new Uint8Array([0x85, 0x21, 0x7a, 0x0b]).buffer;
      }),
    linkByIssuerAndSerial: "root-serial",
  },
  {
    id: "wrong-serial-linked",
    description:
      "control: the intermediate's AKI names the root's issuer with a serial the root does not have",
    root: () => forgeCertificate(modernRoot("wrong-serial-linked")),
    linkByIssuerAndSerial: "wrong-serial",
  },
  {
    id: "sha1-signed",
    description: "self-signature with SHA-1 (an anchor's own signature is not checked)",
    root: () => forgeCertificate({ ...modernRoot("sha1-signed"), hash: "SHA-1" }),
  },
];

export interface ShapeChain {
  readonly shape: Shape;
  readonly root: Uint8Array;
  readonly intermediate: Uint8Array;
  readonly leaf: Uint8Array;
  readonly pem: { readonly root: string; readonly intermediate: string; readonly leaf: string };
}

/** root -> intermediate -> leaf (serverAuth, a DNS SAN), everything else as a CA issues today. */
export async function buildChain(shape: Shape): Promise<ShapeChain> {
  const root = await shape.root();
  let intermediate = await forgeCertificate({
    serial: "0a11",
    subject: name(shape.id, "Intermediate"),
    issuer: name(shape.id, "Root"),
    notBefore: new Date("2015-01-01T00:00:00Z"),
    notAfter: new Date("2035-01-01T00:00:00Z"),
    key: INTERMEDIATE_KEY,
    signer: ROOT_KEY,
    basicConstraints: { ca: true, pathLen: 0 },
    keyUsage: ["keyCertSign", "cRLSign"],
  });
  if (shape.linkByIssuerAndSerial !== undefined) {
    const rootTbs = AsnConvert.parse(root, asn1x509.Certificate).tbsCertificate;
    intermediate = resign(intermediate, ROOT_KEY, (tbs) => {
      const keyId = subjectKeyId(rootTbs) ?? authorityKeyId(tbs);
      const aki = new asn1x509.AuthorityKeyIdentifier({
        ...(keyId === undefined ? {} : { keyIdentifier: new asn1x509.KeyIdentifier(keyId) }),
        authorityCertIssuer: new asn1x509.GeneralNames([
          new asn1x509.GeneralName({ directoryName: rootTbs.issuer }),
        ]),
        authorityCertSerialNumber:
          shape.linkByIssuerAndSerial === "root-serial"
            ? rootTbs.serialNumber
            : new Uint8Array([0x7e, 0x57]).buffer,
      });
      tbs.extensions = new asn1x509.Extensions([
        ...tbs.extensions!.filter((e) => e.extnID !== AKI),
        new asn1x509.Extension({
          extnID: AKI,
          critical: false,
          extnValue: new OctetString(AsnConvert.serialize(aki)),
        }),
      ]);
    });
  }
  const leaf = await forgeCertificate({
    serial: "1eaf",
    subject: name(shape.id, "Leaf"),
    issuer: name(shape.id, "Intermediate"),
    notBefore: new Date("2024-01-01T00:00:00Z"),
    notAfter: new Date("2025-01-01T00:00:00Z"),
    key: LEAF_KEY,
    signer: INTERMEDIATE_KEY,
    san: [`${shape.id}.example.com`],
    keyUsage: ["digitalSignature", "keyEncipherment"],
    eku: [OID.serverAuth],
  });
  return {
    shape,
    root,
    intermediate,
    leaf,
    pem: { root: toPem(root), intermediate: toPem(intermediate), leaf: toPem(leaf) },
  };
}
