// Type-level tests (vitest typecheck) of `crls` and `revocationMode` (A21) on the selection
// functions and createSelector (per selector, like `profile`), and of the verdict's statuses.
import { describe, expectTypeOf, it } from "vitest";
import type {
  PreparedInboundOptions,
  PreparedOutboundOptions,
} from "../../src/exchange/selector.js";
import type {
  CertificateRevocationListInput,
  CertificateRevocationStatus,
  IgnoredCrl,
  InboundSelectionOptions,
  OutboundSelectionOptions,
  RevocationMode,
  SelectorOptions,
  TrustVerdict,
} from "../../src/index.js";

describe("crls and revocationMode", () => {
  it("are optional on both functions and on createSelector", () => {
    type Crls = readonly CertificateRevocationListInput[] | undefined;
    expectTypeOf<OutboundSelectionOptions["crls"]>().toEqualTypeOf<Crls>();
    expectTypeOf<InboundSelectionOptions["crls"]>().toEqualTypeOf<Crls>();
    expectTypeOf<SelectorOptions["crls"]>().toEqualTypeOf<Crls>();
    expectTypeOf<OutboundSelectionOptions["revocationMode"]>().toEqualTypeOf<
      RevocationMode | undefined
    >();
    expectTypeOf<SelectorOptions["revocationMode"]>().toEqualTypeOf<RevocationMode | undefined>();
    expectTypeOf<RevocationMode>().toEqualTypeOf<"soft" | "hard">();
    expectTypeOf<CertificateRevocationListInput>().toEqualTypeOf<Uint8Array | string>();
  });

  it("are the selector's, not a prepared session's", () => {
    expectTypeOf<PreparedOutboundOptions>().not.toHaveProperty("crls");
    expectTypeOf<PreparedOutboundOptions>().not.toHaveProperty("revocationMode");
    expectTypeOf<PreparedInboundOptions>().not.toHaveProperty("crls");
    expectTypeOf<PreparedInboundOptions>().not.toHaveProperty("revocationMode");
  });

  it("the pki and untrusted verdicts carry the statuses and the ignored CRLs", () => {
    type Pki = Extract<TrustVerdict, { kind: "pki" }>;
    type Untrusted = Extract<TrustVerdict, { kind: "untrusted" }>;
    expectTypeOf<Pki["revocation"]>().toEqualTypeOf<
      readonly CertificateRevocationStatus[] | undefined
    >();
    expectTypeOf<Untrusted["revocation"]>().toEqualTypeOf<
      readonly CertificateRevocationStatus[] | undefined
    >();
    expectTypeOf<Pki["ignoredCrls"]>().toEqualTypeOf<readonly IgnoredCrl[] | undefined>();
    expectTypeOf<Extract<TrustVerdict, { kind: "self-signed" }>>().not.toHaveProperty("revocation");
  });
});
