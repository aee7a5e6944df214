// The value of msExchServerInternalTLSCert in its three forms (docs/rules.md, "Values"):
// a thumbprint string (as the topic describes it), a DER certificate, or the blob Windows'
// X509Certificate2.Export(SerializedCert) writes (as a real directory holds it). A value that
// is none of these is "cannot be read" (R4), with the reason kept as the cause.
import type { DirectoryValue } from "../types.js";
import { type ParsedCertificate, parseCertificate } from "../x509/certificate.js";
import { parseThumbprint, type Thumbprint } from "../x509/thumbprint.js";

export type DirectoryValueForm = "thumbprint" | "pem" | "der" | "serialized-certificate";

export type DecodedDirectoryValue =
  | { readonly kind: "empty" }
  | { readonly kind: "unreadable"; readonly cause: Error }
  | {
      readonly kind: "value";
      readonly form: DirectoryValueForm;
      readonly thumbprint: Thumbprint;
      readonly certificate?: ParsedCertificate;
    };

/** Windows' CERT_CERT_PROP_ID: the property record that holds the DER certificate. */
const CERT_PROPERTY = 32;

export class DirectoryValueError extends Error {}

/**
 * Reads `{ uint32 id, uint32 reserved = 1, uint32 length, bytes }` records (little-endian) to the
 * end of the buffer and returns the certificate record's bytes, or null if the bytes are not
 * such a sequence or hold no certificate.
 */
export function certificateFromSerializedBlob(bytes: Uint8Array): Uint8Array | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let certificate: Uint8Array | null = null;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) return null;
    const id = view.getUint32(offset, true);
    const reserved = view.getUint32(offset + 4, true);
    const length = view.getUint32(offset + 8, true);
    const start = offset + 12;
    if (reserved !== 1 || length > bytes.length - start) return null;
    if (id === CERT_PROPERTY) {
      if (certificate !== null) return null; // two certificates: ambiguous
      certificate = bytes.subarray(start, start + length);
    }
    offset = start + length;
  }
  return certificate;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The bytes as text, when they are UTF-8 without control characters other than tab, CR and LF;
 * otherwise null. A DER certificate or a serialized blob never is: both hold bytes such as 0x02,
 * 0x06 or 0x00, so this test cannot mistake one of them for text.
 */
function textOf(bytes: Uint8Array): string | null {
  for (const byte of bytes) {
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f)
      return null;
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

function fromText(text: string): DecodedDirectoryValue {
  // A15: empty or only white space (including the invisible marks people paste) is null.
  if (text.replace(/[\s\u200e\u200f\ufeff]/g, "").length === 0) return { kind: "empty" };
  try {
    if (text.includes("-----BEGIN")) {
      const certificate = parseCertificate(text);
      return { kind: "value", form: "pem", thumbprint: certificate.thumbprint, certificate };
    }
    return { kind: "value", form: "thumbprint", thumbprint: parseThumbprint(text) };
  } catch (error) {
    return { kind: "unreadable", cause: error as Error };
  }
}

function fromBytes(bytes: Uint8Array): DecodedDirectoryValue {
  if (bytes.length === 0) return { kind: "empty" }; // A15
  // Some directories hand a string attribute back as bytes. Text first: a thumbprint starts
  // with "0" (0x30, the SEQUENCE tag) one time in sixteen, and must not be read as DER.
  const text = textOf(bytes);
  if (text !== null) return fromText(text);
  // A DER certificate starts with a SEQUENCE tag; a serialized blob with a little-endian id.
  if (bytes[0] === 0x30) {
    try {
      const certificate = parseCertificate(bytes);
      return { kind: "value", form: "der", thumbprint: certificate.thumbprint, certificate };
    } catch (error) {
      return { kind: "unreadable", cause: error as Error };
    }
  }
  const der = certificateFromSerializedBlob(bytes);
  if (der !== null) {
    try {
      const certificate = parseCertificate(der);
      return {
        kind: "value",
        form: "serialized-certificate",
        thumbprint: certificate.thumbprint,
        certificate,
      };
    } catch (error) {
      return { kind: "unreadable", cause: error as Error };
    }
  }
  return {
    kind: "unreadable",
    cause: new DirectoryValueError(
      "the value is neither a thumbprint, a DER certificate nor a serialized-certificate blob",
    ),
  };
}

/** Decodes what a Directory returned. Never throws. */
export function decodeDirectoryValue(value: DirectoryValue | unknown): DecodedDirectoryValue {
  if (value === null || value === undefined) return { kind: "empty" };
  if (typeof value === "string") return fromText(value);
  if (value instanceof Uint8Array) return fromBytes(value);
  if (value instanceof ArrayBuffer) return fromBytes(new Uint8Array(value));
  return {
    kind: "unreadable",
    cause: new TypeError(
      `the directory returned ${Object.prototype.toString.call(value)}, not a string, bytes or null`,
    ),
  };
}
