// Type-level tests of the public API (vitest typecheck): a `selected` result has a thumbprint and
// an entry, the other outcomes do not; events narrow on their numeric id.
import { describe, expectTypeOf, it } from "vitest";

import type {
  ExchangeEvent,
  NoCertificate,
  NotAttempted,
  Selected,
  Selection,
  StoreEntry,
} from "../src/index.js";
import { selectOutboundAnonymousTlsCert } from "../src/index.js";

describe("Selection", () => {
  it("narrows on outcome", () => {
    const selection = {} as Selection;
    if (selection.outcome === "selected") {
      expectTypeOf(selection).toEqualTypeOf<Selected>();
      expectTypeOf(selection.thumbprint).toEqualTypeOf<string>();
      expectTypeOf(selection.entry).toEqualTypeOf<StoreEntry>();
      expectTypeOf(selection.advertiseAnonymousTls).toEqualTypeOf<true>();
      expectTypeOf(selection.bestCandidate).toEqualTypeOf<string | null>();
    } else {
      expectTypeOf(selection).toEqualTypeOf<NotAttempted | NoCertificate>();
      expectTypeOf(selection.advertiseAnonymousTls).toEqualTypeOf<false>();
      // @ts-expect-error: only a selected result has a thumbprint
      selection.thumbprint;
      // @ts-expect-error: only a selected result has an entry
      selection.entry;
    }
  });

  it("not-attempted lists the failed gate conditions; no-certificate has a reason", () => {
    const selection = {} as Selection;
    if (selection.outcome === "not-attempted") {
      expectTypeOf(selection.failed).toEqualTypeOf<
        readonly ("R1a" | "R1b" | "R2a" | "R2b" | "I1")[]
      >();
    }
    if (selection.outcome === "no-certificate") {
      expectTypeOf(selection.reason).toEqualTypeOf<
        "directory-unreadable" | "directory-empty" | "not-in-store" | "no-private-key"
      >();
    }
  });

  it("events narrow on id", () => {
    const event = {} as ExchangeEvent;
    expectTypeOf(event.id).toEqualTypeOf<12012 | 12013 | 12015 | 12017 | 1037>();
    if (event.id === 1037) expectTypeOf(event.data.bestCandidate).toEqualTypeOf<string | null>();
    if (event.id === 12015) expectTypeOf(event.level).toEqualTypeOf<"Warning">();
    if (event.id === 12013) expectTypeOf(event.level).toEqualTypeOf<"Error">();
  });

  it("the entry point returns a Promise<Selection> and rejects unknown roles at compile time", () => {
    expectTypeOf(selectOutboundAnonymousTlsCert).returns.toEqualTypeOf<Promise<Selection>>();
    expectTypeOf(selectOutboundAnonymousTlsCert)
      .parameter(0)
      .toHaveProperty("role")
      .toEqualTypeOf<"HubTransport" | "EdgeTransport">();
  });
});
