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

/** The `code` of the error importing this entry point throws when ldapts is not installed. */
const MISSING_PEER_DEPENDENCY = "ERR_MISSING_PEER_DEPENDENCY";

async function loadAdapter(): Promise<typeof import("./directory.js")> {
  try {
    await import("ldapts");
  } catch (error) {
    // Only "ldapts itself cannot be found" is rewritten; anything else (a broken install, a
    // missing dependency of ldapts) is left as Node reported it, since the advice would be wrong.
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : "";
    if (code === "ERR_MODULE_NOT_FOUND" && /['"]ldapts['"]/.test(message)) {
      throw Object.assign(
        new Error(
          'exchange-anonymous-tls/ldap needs the optional peer dependency "ldapts" (version 8), which is not installed: run `npm install ldapts@8`.',
          { cause: error },
        ),
        { code: MISSING_PEER_DEPENDENCY },
      );
    }
    throw error;
  }
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
