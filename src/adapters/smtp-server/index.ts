/**
 * `exchange-anonymous-tls/smtp-server`: an SMTP receiver on `smtp-server` that offers and
 * negotiates X-ANONYMOUSTLS with the certificate the inbound selection chose (I1–I4), and
 * STARTTLS with the certificate the inbound STARTTLS selection chose (S1–S9), and that no client
 * can crash. Needs the optional peer dependency `smtp-server` (3.21).
 *
 * @packageDocumentation
 */
// smtp-server is loaded with a dynamic import before the receiver, because a static import of a
// missing package fails while Node links the module graph, before any of our code runs, with a
// bare ERR_MODULE_NOT_FOUND that does not say the package is an optional peer to install (as
// `/ldap` does for ldapts). The price is a top-level await: this entry point is imported, not
// require()d.
import { importPeerDependency } from "../../peer.js";
import type * as Receiver from "./server.js";

export {
  ReceiverError,
  type ReceiverErrorCode,
  type SessionIdentity,
} from "./errors.js";
export type {
  AnonymousTlsHooks,
  Handshake,
  HookLimits,
  Offer,
  StartTlsOffer,
} from "./hook.js";
export type {
  AnonymousTlsServer,
  AnonymousTlsServerOptions,
  AnonymousTlsSession,
  EhloDecision,
  ReceiverSelectionOptions,
  StartTlsDecision,
  StartTlsSession,
  StartupOffer,
} from "./server.js";

/**
 * Imports the receiver after checking that smtp-server can be imported; `importPeer` is a seam
 * for the test of the missing-package message.
 */
export async function loadReceiver(
  importPeer: () => Promise<unknown> = () => import("smtp-server"),
): Promise<typeof Receiver> {
  await importPeerDependency("smtp-server", "smtp-server", "3.21", importPeer);
  return import("./server.js");
}

const receiver = await loadReceiver();

/**
 * Creates (does not start) an SMTP receiver that offers X-ANONYMOUSTLS when the inbound
 * selection (I1–I4) yields a certificate with a usable key, and negotiates TLS with it; lists
 * STARTTLS when the inbound STARTTLS selection (S1–S9) does, presenting its certificate. Every
 * socket, TLS and parser error ends its own session only and reaches `onError`.
 */
export const createAnonymousTlsServer: typeof Receiver.createAnonymousTlsServer =
  receiver.createAnonymousTlsServer;

/** Adds X-ANONYMOUSTLS and per-session error handling to an SMTPServer you built yourself. */
export const installAnonymousTls: typeof import("./hook.js")["installAnonymousTls"] = (
  await import("./hook.js")
).installAnonymousTls;

/** Throws when the installed smtp-server lacks an internal the hook relies on. */
export const assertSmtpServerHooks: typeof import("./hook.js")["assertSmtpServerHooks"] = (
  await import("./hook.js")
).assertSmtpServerHooks;

/** The view of a server that presents `secureContext` (exposed for the hook's guard tests). */
export const anonymousTlsServerView: typeof import("./hook.js")["anonymousTlsServerView"] = (
  await import("./hook.js")
).anonymousTlsServerView;
