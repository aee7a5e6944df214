// Review findings on A17/A18, each pinned: certificates OpenSSL and Node both read are readable
// here (a v1 certificate with extensions, a subjectAltName that cannot be decoded), their faults
// count where they matter (a v1 intermediate is never a CA, an undecodable SAN is on no valid
// path); a trust anchor's extensions that no anchor check reads (authorityInfoAccess, SAN) never
// stop it in the default profile (A17), while two copies of one extension do (they make what it
// asserts ambiguous); and nothing a readable certificate holds makes the validator throw.
import { X509Certificate } from "node:crypto";

import { OctetString } from "@peculiar/asn1-schema";
import { describe, expect, it } from "vitest";

import { parseCertificate } from "../../src/x509/certificate.js";
import { PathValidator, type ValidationProfile } from "../../src/x509/path/validator.js";
import { validateCertificatePath } from "../../src/x509/validate-path.js";
import { asn1x509 } from "../../src/x509/x509.js";
import { resign } from "../realworld/shapes.js";
import { cn, intermediate, leaf, NOW, root } from "../support/chains.js";
import { forgeCertificate } from "../support/forge.js";

const R = { name: "Edge Root", key: "rsa-1" } as const;
const I = { name: "Edge Issuing CA", key: "rsa-2" } as const;
const L = { name: "mail.contoso.com", key: "rsa-3" } as const;

function extension(oid: string, value: Uint8Array, critical = false): asn1x509.Extension {
  return new asn1x509.Extension({
    extnID: oid,
    critical,
    extnValue: new OctetString(value),
  });
}

const nodeReads = (der: Uint8Array) => {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
};

describe("A18: readable where OpenSSL and Node read it", () => {
  it("a version 1 certificate with extensions: readable, faulted, and never an intermediate (RFC 5280 §6.1.4 (k))", async () => {
    const anchor = await root(R);
    const v3 = (await intermediate(I, R)).der;
    const v1 = resign(v3, R.key, (tbs) => {
      tbs.version = asn1x509.Version.v1;
    });
    expect(nodeReads(v1)).toBe(true);
    const parsed = parseCertificate(v1);
    expect(parsed.version).toBe(1);
    expect(parsed.encodingFaults).toContain("extensions-before-v3");
    const end = await leaf(L, I);
    for (const profile of ["rfc5280", "strict"] as const) {
      const validator = new PathValidator({
        trustAnchors: [anchor],
        intermediates: [parsed],
        profile,
      });
      expect(await validator.validate(end, NOW)).toMatchObject({
        status: "invalid",
        reason: { code: "bad-version", certificate: parsed.thumbprint },
      });
    }
  });

  it("a subjectAltName that cannot be decoded: readable with no DNS names, on no valid path", async () => {
    const anchor = await root(R);
    const good = (await leaf(L, R)).der;
    const broken = resign(good, R.key, (tbs) => {
      const extensions = tbs.extensions ?? new asn1x509.Extensions();
      const kept = extensions.filter((e) => e.extnID !== "2.5.29.17");
      // A GeneralNames SEQUENCE holding a dNSName, then two stray bytes inside it.
      kept.push(
        extension("2.5.29.17", Uint8Array.from([0x30, 0x05, 0x82, 0x01, 0x61, 0xff, 0x00])),
      );
      tbs.extensions = new asn1x509.Extensions(kept);
    });
    const parsed = parseCertificate(broken);
    expect(parsed.encodingFaults).toContain("undecodable-subject-alt-name");
    expect(parsed.dnsNames).toEqual([]);
    const validator = new PathValidator({ trustAnchors: [anchor] });
    expect(await validator.validate(parsed, NOW)).toMatchObject({
      status: "invalid",
      reason: { code: "bad-extension", oid: "2.5.29.17" },
    });
  });
});

describe("A17: an anchor's extensions that no anchor check reads never stop it", () => {
  const emptyAia = extension("1.3.6.1.5.5.7.1.1", Uint8Array.from([0x30, 0x00]));

  async function verdict(anchorDer: Uint8Array, profile: ValidationProfile) {
    const inter = await intermediate(I, R);
    const end = await leaf(L, I);
    const validator = new PathValidator({
      trustAnchors: [parseCertificate(anchorDer)],
      intermediates: [inter],
      profile,
    });
    const result = await validator.validate(end, NOW);
    return result.status === "valid" ? "valid" : result.reason.code;
  }

  it("an empty authorityInfoAccess on the anchor: valid by default, bad-extension when strict", async () => {
    const anchor = resign((await root(R)).der, R.key, (tbs) => {
      tbs.extensions = new asn1x509.Extensions([...(tbs.extensions ?? []), emptyAia]);
    });
    expect(await verdict(anchor, "rfc5280")).toBe("valid");
    expect(await verdict(anchor, "strict")).toBe("bad-extension");
  });

  it("an empty authorityInfoAccess on the leaf: valid by default (never read), bad-extension when strict", async () => {
    const anchor = await root(R);
    const end = parseCertificate(
      resign((await leaf(L, R)).der, R.key, (tbs) => {
        tbs.extensions = new asn1x509.Extensions([...(tbs.extensions ?? []), emptyAia]);
      }),
    );
    for (const [profile, expected] of [
      ["rfc5280", "valid"],
      ["strict", "bad-extension"],
    ] as const) {
      const result = await new PathValidator({ trustAnchors: [anchor], profile }).validate(
        end,
        NOW,
      );
      expect(result.status === "valid" ? "valid" : result.reason.code).toBe(expected);
    }
  });

  it("two nameConstraints on the anchor: duplicate-extension in both profiles (which one binds?)", async () => {
    const anchor = resign((await root(R)).der, R.key, (tbs) => {
      const constraints = (name: string) => {
        const host = Buffer.from(name, "ascii");
        const base = [0x82, host.length, ...host];
        const subtree = [0x30, base.length, ...base];
        const permitted = [0xa0, subtree.length, ...subtree];
        return extension(
          "2.5.29.30",
          Uint8Array.from([0x30, permitted.length, ...permitted]),
          true,
        );
      };
      tbs.extensions = new asn1x509.Extensions([
        ...(tbs.extensions ?? []),
        constraints("contoso.com"),
        constraints("other.example"),
      ]);
    });
    expect(parseCertificate(anchor).encodingFaults).toContain("duplicate-extension");
    expect(await verdict(anchor, "rfc5280")).toBe("duplicate-extension");
    expect(await verdict(anchor, "strict")).not.toBe("valid");
  });
});

describe("nothing a readable certificate holds makes validateCertificatePath throw", () => {
  it("a valid leaf with 10,000 SAN names validates, and its path is returned", async () => {
    const anchor = await root(R);
    const names = Array.from({ length: 10_000 }, (_, i) => `h${i}.contoso.com`);
    const end = await forgeCertificate({
      subject: cn(L.name),
      issuer: cn(R.name),
      key: L.key,
      signer: R.key,
      notBefore: new Date(NOW.getTime() - 86_400_000),
      notAfter: new Date(NOW.getTime() + 86_400_000),
      san: [L.name, ...names],
    });
    const result = await validateCertificatePath({
      certificate: end,
      trustAnchors: [anchor.der],
      now: NOW,
      dnsName: L.name,
    });
    expect(result.status).toBe("valid");
    if (result.status === "valid") expect(result.path).toHaveLength(2);
  }, 60_000);
});

describe("deeply nested names never make the validator throw", () => {
  it("a subject attribute nested 120 SEQUENCEs deep under a name-constrained CA gets a verdict", async () => {
    const anchor = await root(R, { nameConstraints: { permitted: ["contoso.com"] } });
    let nested: number[] = [0x0c, 0x01, 0x61];
    for (let i = 0; i < 120; i++) nested = [0x30, ...lengthOctets(nested.length), ...nested];
    const deep = resign((await leaf(L, R)).der, R.key, (tbs) => {
      const attribute = new asn1x509.AttributeTypeAndValue({
        type: "2.5.4.10",
        value: new asn1x509.AttributeValue({ anyValue: Uint8Array.from(nested).buffer }),
      });
      tbs.subject = new asn1x509.Name([
        ...tbs.subject,
        new asn1x509.RelativeDistinguishedName([attribute]),
      ]);
    });
    expect(nodeReads(deep)).toBe(true);
    const result = await validateCertificatePath({
      certificate: deep,
      trustAnchors: [anchor.der],
      now: NOW,
    });
    // A verdict either way (the directoryName constraint is not on O), never an exception.
    expect(["valid", "invalid"]).toContain(result.status);
  });
});

function lengthOctets(length: number): number[] {
  return length < 0x80
    ? [length]
    : length < 0x100
      ? [0x81, length]
      : [0x82, length >> 8, length & 0xff];
}
