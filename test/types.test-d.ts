// Type-level tests of the public API (vitest typecheck): a `selected` result has a thumbprint and
// an entry, the other outcomes do not; `Selection` narrows on `process` and `outcome`; events
// narrow on their numeric id; each entry point returns its own part of the union.
import { describe, expectTypeOf, it } from "vitest";

import type {
  AnonymousTlsSelection,
  ExchangeEvent,
  InboundStartTlsSelected,
  InboundStartTlsSelection,
  NoCertificate,
  NotAttempted,
  OutboundStartTlsSelected,
  OutboundStartTlsSelection,
  Selected,
  Selection,
  StartTlsNoCertificateReason,
  StoreEntry,
} from "../src/index.js";
import {
  createSelector,
  selectInboundStartTlsCert,
  selectOutboundAnonymousTlsCert,
  selectOutboundStartTlsCert,
} from "../src/index.js";

describe("AnonymousTlsSelection", () => {
  it("narrows on outcome", () => {
    const selection = {} as AnonymousTlsSelection;
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
    const selection = {} as AnonymousTlsSelection;
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
});

describe("Selection (every process)", () => {
  it("narrows on process, then outcome", () => {
    const selection = {} as Selection;
    if (selection.process === "anonymous-tls") {
      expectTypeOf(selection).toEqualTypeOf<AnonymousTlsSelection>();
    } else if (selection.outcome === "selected") {
      expectTypeOf(selection).toEqualTypeOf<InboundStartTlsSelected | OutboundStartTlsSelected>();
      expectTypeOf(selection.basis).toEqualTypeOf<"pki" | "self-signed">();
      expectTypeOf(selection.lookedFor.source).toEqualTypeOf<
        "tlsCertificateName" | "connector-fqdn" | "physical-fqdn"
      >();
    } else if (selection.outcome === "session-fails") {
      // S11: only the sending side fails a session.
      expectTypeOf(selection.direction).toEqualTypeOf<"outbound">();
      expectTypeOf(
        selection.reply,
      ).toEqualTypeOf<"454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found.">();
      expectTypeOf(selection.edition).toEqualTypeOf<"2016">();
      expectTypeOf(selection.lookedFor.source).toEqualTypeOf<"tlsCertificateName">();
    }
  });

  it("a STARTTLS result says what happens on the wire, per side", () => {
    const inbound = {} as InboundStartTlsSelection;
    if (inbound.outcome === "selected")
      expectTypeOf(inbound.advertiseStartTls).toEqualTypeOf<true>();
    else expectTypeOf(inbound.advertiseStartTls).toEqualTypeOf<false>();
    const outbound = {} as OutboundStartTlsSelection;
    // S10: no certificate still negotiates STARTTLS; S11 fails the session.
    if (outbound.outcome === "session-fails") {
      expectTypeOf(outbound.negotiateStartTls).toEqualTypeOf<false>();
    } else {
      expectTypeOf(outbound.negotiateStartTls).toEqualTypeOf<true>();
    }
    if (outbound.outcome === "no-certificate") {
      expectTypeOf(outbound.reason).toEqualTypeOf<StartTlsNoCertificateReason>();
    }
  });

  it("events narrow on id", () => {
    const event = {} as ExchangeEvent;
    expectTypeOf(event.id).toEqualTypeOf<
      12012 | 12013 | 12015 | 12017 | 1037 | 12014 | 12016 | 12018
    >();
    if (event.id === 1037) expectTypeOf(event.data.bestCandidate).toEqualTypeOf<string | null>();
    // E6: the levels that changed in 2016.
    if (event.id === 12015) expectTypeOf(event.level).toEqualTypeOf<"Warning" | "Information">();
    if (event.id === 12014) expectTypeOf(event.level).toEqualTypeOf<"Warning" | "Error">();
    if (event.id === 12013) expectTypeOf(event.level).toEqualTypeOf<"Error">();
    if (event.id === 12014) expectTypeOf(event.data.domainName).toEqualTypeOf<string>();
  });
});

describe("entry points", () => {
  it("each returns its own part of the union and rejects unknown roles at compile time", () => {
    expectTypeOf(selectOutboundAnonymousTlsCert).returns.toEqualTypeOf<
      Promise<AnonymousTlsSelection>
    >();
    expectTypeOf(selectInboundStartTlsCert).returns.toEqualTypeOf<
      Promise<InboundStartTlsSelection>
    >();
    expectTypeOf(selectOutboundStartTlsCert).returns.toEqualTypeOf<
      Promise<OutboundStartTlsSelection>
    >();
    // Every part is a Selection (the contract: "→ Promise<Selection>").
    expectTypeOf<InboundStartTlsSelection>().toExtend<Selection>();
    expectTypeOf<OutboundStartTlsSelection>().toExtend<Selection>();
    expectTypeOf(selectOutboundAnonymousTlsCert)
      .parameter(0)
      .toHaveProperty("role")
      .toEqualTypeOf<"HubTransport" | "EdgeTransport" | "Mailbox">();
    expectTypeOf(selectInboundStartTlsCert)
      .parameter(0)
      .toHaveProperty("edition")
      .toEqualTypeOf<"2007" | "2016" | undefined>();
  });

  it("the prepared selector has the STARTTLS directions", () => {
    const selector = createSelector({ store: { list: () => [] } });
    expectTypeOf(selector.selectInboundStartTls).returns.toEqualTypeOf<
      Promise<InboundStartTlsSelection>
    >();
    expectTypeOf(selector.selectOutboundStartTls).returns.toEqualTypeOf<
      Promise<OutboundStartTlsSelection>
    >();
  });
});
