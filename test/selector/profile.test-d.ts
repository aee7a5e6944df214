// Type-level tests (vitest typecheck) of the `profile` option (A3): both selection functions take
// it, createSelector takes it per selector, and a prepared session cannot pass its own.
import { describe, expectTypeOf, it } from "vitest";
import type {
  PreparedInboundOptions,
  PreparedOutboundOptions,
} from "../../src/exchange/selector.js";
import type {
  InboundSelectionOptions,
  OutboundSelectionOptions,
  SelectorOptions,
} from "../../src/index.js";
import type { ValidationProfile } from "../../src/x509/path/validator.js";

describe("profile", () => {
  it("is an optional ValidationProfile on both functions and on createSelector", () => {
    expectTypeOf<OutboundSelectionOptions["profile"]>().toEqualTypeOf<
      ValidationProfile | undefined
    >();
    expectTypeOf<InboundSelectionOptions["profile"]>().toEqualTypeOf<
      ValidationProfile | undefined
    >();
    expectTypeOf<SelectorOptions["profile"]>().toEqualTypeOf<ValidationProfile | undefined>();
    expectTypeOf<ValidationProfile>().toEqualTypeOf<"rfc5280" | "strict">();
  });

  it("is the selector's, not a prepared session's", () => {
    expectTypeOf<PreparedOutboundOptions>().not.toHaveProperty("profile");
    expectTypeOf<PreparedInboundOptions>().not.toHaveProperty("profile");
  });
});
