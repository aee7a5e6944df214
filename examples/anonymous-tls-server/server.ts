// The receiver used to live here; it ships as `exchange-anonymous-tls/smtp-server`. This module
// only re-exports it, under the package's own name as a user imports it, for the wire tests
// (test/tls) that have always imported it from here. In your own code:
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
} from "exchange-anonymous-tls/smtp-server";
