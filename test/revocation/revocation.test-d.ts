// Type-level tests of the revocation options and results of validateCertificatePath (A21).
import { describe, expectTypeOf, it } from "vitest";

import {
  type CertificateRevocationListInput,
  type CertificateRevocationStatus,
  type PathValidation,
  type RevocationMode,
  validateCertificatePath,
} from "../../src/x509/validate-path.js";

describe("A21: revocation types", () => {
  it("accepts CRLs as DER bytes or PEM text, and soft/hard only", () => {
    expectTypeOf<CertificateRevocationListInput>().toEqualTypeOf<Uint8Array | string>();
    expectTypeOf<RevocationMode>().toEqualTypeOf<"soft" | "hard">();
    expectTypeOf(validateCertificatePath).toBeCallableWith({
      certificate: "",
      trustAnchors: [],
      crls: [new Uint8Array(0), "-----BEGIN X509 CRL-----"],
      revocationMode: "hard",
    });
    // @ts-expect-error: not a revocation mode
    validateCertificatePath({ certificate: "", trustAnchors: [], revocationMode: "strict" });
    // @ts-expect-error: a CRL is bytes or text
    validateCertificatePath({ certificate: "", trustAnchors: [], crls: [42] });
  });

  it("has statuses only on a valid result", () => {
    const result = {} as PathValidation;
    if (result.status === "valid") {
      expectTypeOf(result.revocation).toEqualTypeOf<
        readonly CertificateRevocationStatus[] | undefined
      >();
    } else {
      // @ts-expect-error: an invalid result has a reason, not statuses
      result.revocation;
    }
    const status = {} as CertificateRevocationStatus;
    expectTypeOf(status.status).toEqualTypeOf<"good" | "revoked" | "unknown">();
    expectTypeOf(status.revocationDate).toEqualTypeOf<Date | undefined>();
    expectTypeOf(status.reasonCode).toEqualTypeOf<number | undefined>();
  });
});
