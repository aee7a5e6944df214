/**
 * `exchange-anonymous-tls/ldap`: a `Directory` that reads `msExchServerInternalTLSCert` over LDAP
 * (Active Directory on a Hub, AD LDS on an Edge). Needs the optional peer dependency `ldapts`.
 *
 * @packageDocumentation
 */
// The `<package>/ldap` entry point: an LDAP-backed `Directory` (R3) for Active Directory on a Hub
// and AD LDS on an Edge. It imports ldapts (an optional peer dependency); the core never imports
// this module, so users who bring their own Directory never load ldapts.
//
// ldapts is loaded with a dynamic import before the adapter, because a static import of a missing
// package fails while Node links the module graph, before any of our code runs, with a bare
// ERR_MODULE_NOT_FOUND that does not say the package is an optional peer to install. The price is
// a top-level await: this entry point can be imported, not require()d (the package is ESM only).
import { importPeerDependency } from "../../peer.js";
import type { LdapDirectory as LdapDirectoryClass } from "./directory.js";

export { LdapDirectoryError, type LdapErrorCode, type LdapPhase } from "./errors.js";
export {
  DEFAULT_NAME_ATTRIBUTE,
  DEFAULT_SERVER_OBJECT_CLASS,
  INTERNAL_TLS_CERT_ATTRIBUTE,
  type LdapConnectionOptions,
  type LdapDirectoryOptions,
  type ServerObjectLookup,
} from "./options.js";

async function loadAdapter(): Promise<typeof import("./directory.js")> {
  await importPeerDependency("ldap", "ldapts", "8", () => import("ldapts"));
  return import("./directory.js");
}

/**
 * A `Directory` that reads `msExchServerInternalTLSCert` of the local server object over
 * LDAP or LDAPS (Active Directory on a Hub, AD LDS on an Edge): one connection per read, simple
 * bind or anonymous, TLS certificate checks on. Reads throw {@link LdapDirectoryError}; the
 * selection reports each as "cannot be read" (R4) and keeps it as `cause`.
 */
export const LdapDirectory: typeof LdapDirectoryClass = (await loadAdapter()).LdapDirectory;
/** An instance of {@link LdapDirectory}. */
export type LdapDirectory = LdapDirectoryClass;
