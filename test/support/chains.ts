// Helpers for path-validation tests: a fixed NOW, validity windows around it, and builders for
// root / intermediate / leaf certificates over the committed key pool (never generated keys).
import { type ParsedCertificate, parseCertificate } from "../../src/lib/certificate.js";
import { type CertSpec, forgeCertificate, type KeyName, type NameSpec, OID } from "./forge.js";

export const NOW = new Date("2024-06-01T12:00:00Z");
const DAY = 86_400_000;
export const days = (n: number): Date => new Date(NOW.getTime() + n * DAY);

/** Validity windows relative to NOW. */
export const WINDOW = {
  valid: { notBefore: days(-365), notAfter: days(365) },
  expired: { notBefore: days(-730), notAfter: days(-1) },
  notYetValid: { notBefore: days(1), notAfter: days(730) },
} as const;

export const cn = (name: string): NameSpec => [
  ["O", "Path Tests"],
  ["CN", name],
];

export interface Node {
  readonly name: string;
  readonly key: KeyName;
}

type Extra = Partial<Omit<CertSpec, "subject" | "issuer" | "key" | "signer">>;

let serial = 0x1000;
const nextSerial = () => ++serial;

export async function root(node: Node, extra: Extra = {}): Promise<ParsedCertificate> {
  return parseCertificate(
    await forgeCertificate({
      serial: nextSerial(),
      subject: cn(node.name),
      key: node.key,
      ...WINDOW.valid,
      basicConstraints: { ca: true },
      keyUsage: ["keyCertSign", "cRLSign"],
      ...extra,
    }),
  );
}

export async function intermediate(
  node: Node,
  issuer: Node,
  extra: Extra = {},
): Promise<ParsedCertificate> {
  return parseCertificate(
    await forgeCertificate({
      serial: nextSerial(),
      subject: cn(node.name),
      issuer: cn(issuer.name),
      key: node.key,
      signer: issuer.key,
      ...WINDOW.valid,
      basicConstraints: { ca: true },
      keyUsage: ["keyCertSign", "cRLSign"],
      ...extra,
    }),
  );
}

export async function leaf(
  node: Node,
  issuer: Node,
  extra: Extra = {},
): Promise<ParsedCertificate> {
  return parseCertificate(
    await forgeCertificate({
      serial: nextSerial(),
      subject: cn(node.name),
      issuer: cn(issuer.name),
      key: node.key,
      signer: issuer.key,
      ...WINDOW.valid,
      san: [node.name],
      keyUsage: ["digitalSignature", "keyEncipherment"],
      eku: [OID.serverAuth],
      ...extra,
    }),
  );
}

export { OID };
