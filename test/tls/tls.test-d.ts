// Type-level tests of the wire API: a negotiation that used anonymous TLS has a TLS socket and the
// peer's thumbprint; one that did not has the plaintext socket and a reason, and nothing else.
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

import { describe, expectTypeOf, it } from "vitest";
import type {
  AnonymousTlsNegotiation,
  NotUsedReason,
  PeerCertificate,
  SelectionTlsOptions,
} from "../../src/adapters/tls.js";
import { negotiateAnonymousTls, toTlsOptions } from "../../src/adapters/tls.js";
import type { Selection } from "../../src/index.js";

describe("negotiateAnonymousTls", () => {
  it("narrows on used", () => {
    const result = {} as AnonymousTlsNegotiation;
    if (result.used) {
      expectTypeOf(result.tlsSocket).toEqualTypeOf<TLSSocket>();
      expectTypeOf(result.peerThumbprint).toEqualTypeOf<string>();
      expectTypeOf(result.peerChain).toEqualTypeOf<readonly PeerCertificate[]>();
      // @ts-expect-error: a session in TLS has no reason for not being in TLS
      result.reason;
    } else {
      expectTypeOf(result.socket).toEqualTypeOf<Socket>();
      expectTypeOf(result.reason).toEqualTypeOf<NotUsedReason>();
      // @ts-expect-error: no TLS socket when anonymous TLS was not used
      result.tlsSocket;
    }
  });

  it("takes a selection and resolves with a negotiation", () => {
    expectTypeOf(negotiateAnonymousTls).parameter(1).toEqualTypeOf<Selection>();
    expectTypeOf(negotiateAnonymousTls).returns.resolves.toEqualTypeOf<AnonymousTlsNegotiation>();
  });
});

describe("toTlsOptions", () => {
  it("returns strings Node's tls takes", () => {
    expectTypeOf(toTlsOptions).returns.toEqualTypeOf<SelectionTlsOptions>();
    expectTypeOf<SelectionTlsOptions["cert"]>().toEqualTypeOf<string>();
    expectTypeOf<SelectionTlsOptions["key"]>().toEqualTypeOf<string>();
  });
});
