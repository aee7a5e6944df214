// The receiver used to live here; it now ships as `exchange-anonymous-tls/smtp-server`
// (src/adapters/smtp-server). This module only re-exports it under the names the example and the wire
// tests (test/tls) have always imported. In your own code:
//   import { createAnonymousTlsServer } from "exchange-anonymous-tls/smtp-server";
export {
  type AnonymousTlsHooks,
  type AnonymousTlsServer,
  type AnonymousTlsServerOptions,
  type AnonymousTlsSession,
  anonymousTlsServerView,
  assertSmtpServerHooks,
  createAnonymousTlsServer,
  type EhloDecision,
  installAnonymousTls,
  type Offer,
  type StartTlsDecision,
  type StartTlsOffer,
  type StartTlsSession,
} from "../../src/adapters/smtp-server/index.js";
