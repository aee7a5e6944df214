// The public entry point validateCertificatePath (issue 3 §1): inputs as DER or PEM, a path of
// @peculiar/x509 certificates, typed failures, misuse as exceptions.
// @peculiar/x509 needs Reflect metadata before it loads, as src/x509/x509.ts arranges.
import "reflect-metadata";

import { X509Certificate } from "@peculiar/x509";
import { describe, expect, it } from "vitest";

import { InvalidCertificateError } from "../../src/errors.js";
import { validateCertificatePath } from "../../src/x509/validate-path.js";
import { cn, NOW, OID, WINDOW } from "../support/chains.js";
import { forgeCertificate, toPem } from "../support/forge.js";

async function chain(window: { notBefore: Date; notAfter: Date } = WINDOW.valid) {
  const root = await forgeCertificate({
    serial: 1,
    subject: cn("Public Root"),
    key: "rsa-1",
    ...window,
    basicConstraints: { ca: true },
    keyUsage: ["keyCertSign"],
  });
  const issuing = await forgeCertificate({
    serial: 2,
    subject: cn("Public CA"),
    issuer: cn("Public Root"),
    key: "p256-1",
    signer: "rsa-1",
    ...window,
    basicConstraints: { ca: true },
    keyUsage: ["keyCertSign"],
  });
  const leaf = await forgeCertificate({
    serial: 3,
    subject: cn("mail.contoso.com"),
    issuer: cn("Public CA"),
    key: "p256-2",
    signer: "p256-1",
    ...window,
    san: ["mail.contoso.com"],
    eku: [OID.serverAuth],
  });
  return { root, issuing, leaf };
}

const der = (certificate: X509Certificate) => Buffer.from(certificate.rawData);

describe("validateCertificatePath", () => {
  it("A3: PEM and DER inputs; the path is X509Certificate objects, leaf … anchor", async () => {
    const { root, issuing, leaf } = await chain();
    const result = await validateCertificatePath({
      certificate: toPem(leaf),
      trustAnchors: [root],
      intermediates: [toPem(issuing)],
      now: NOW,
      dnsName: "mail.contoso.com",
    });
    expect(result.status).toBe("valid");
    if (result.status !== "valid") return;
    expect(result.path.every((c) => c instanceof X509Certificate)).toBe(true);
    expect(result.path.map(der)).toEqual([leaf, issuing, root].map((d) => Buffer.from(d)));
  });

  it("A4: `now` defaults to the wall clock, read once", async () => {
    const { root, issuing, leaf } = await chain({
      notBefore: new Date("2000-01-01T00:00:00Z"),
      notAfter: new Date("2049-12-31T00:00:00Z"),
    });
    const result = await validateCertificatePath({
      certificate: leaf,
      trustAnchors: [root],
      intermediates: [issuing],
    });
    expect(result.status).toBe("valid");
  });

  it("invalid paths are values with a stable code and the certificate at fault", async () => {
    const { root, issuing, leaf } = await chain();
    const result = await validateCertificatePath({
      certificate: leaf,
      trustAnchors: [root],
      intermediates: [issuing],
      now: new Date("2030-01-01T00:00:00Z"),
    });
    expect(result).toMatchObject({ status: "invalid", reason: { code: "expired" } });
    if (result.status === "invalid") expect(result.reason.certificate).toMatch(/^[0-9A-F]{40}$/);
  });

  it("A2: dnsName is checked with the selection's matcher", async () => {
    const { root, issuing, leaf } = await chain();
    const result = await validateCertificatePath({
      certificate: leaf,
      trustAnchors: [root],
      intermediates: [issuing],
      now: NOW,
      dnsName: "contoso.com",
    });
    expect(result).toMatchObject({ status: "invalid", reason: { code: "name-mismatch" } });
  });

  it("the revocation hook sees X509Certificate pairs and can only invalidate", async () => {
    const { root, issuing, leaf } = await chain();
    const seen: string[] = [];
    const result = await validateCertificatePath({
      certificate: leaf,
      trustAnchors: [root],
      intermediates: [issuing],
      now: NOW,
      revocation: async (certificate, issuer) => {
        seen.push(`${certificate.subject} <- ${issuer.subject}`);
        return certificate.subject.includes("Public CA") ? "revoked" : "good";
      },
    });
    expect(result).toMatchObject({ status: "invalid", reason: { code: "revoked" } });
    expect(seen).toEqual([
      "O=Path Tests, CN=mail.contoso.com <- O=Path Tests, CN=Public CA",
      "O=Path Tests, CN=Public CA <- O=Path Tests, CN=Public Root",
    ]);
  });

  it("unparseable input throws InvalidCertificateError (misuse, not an outcome)", async () => {
    const { root } = await chain();
    await expect(
      validateCertificatePath({ certificate: "not a certificate", trustAnchors: [root] }),
    ).rejects.toBeInstanceOf(InvalidCertificateError);
    await expect(
      validateCertificatePath({ certificate: root, trustAnchors: [new Uint8Array([1, 2, 3])] }),
    ).rejects.toMatchObject({ code: "ERR_INVALID_CERTIFICATE" });
    await expect(
      validateCertificatePath({ certificate: 42 as unknown as string, trustAnchors: [root] }),
    ).rejects.toBeInstanceOf(TypeError);
  });

  it("A3: without trust anchors nothing is valid", async () => {
    const { issuing, leaf } = await chain();
    const result = await validateCertificatePath({
      certificate: leaf,
      trustAnchors: [],
      intermediates: [issuing],
      now: NOW,
    });
    expect(result).toMatchObject({ status: "invalid", reason: { code: "no-trust-anchors" } });
  });
});
