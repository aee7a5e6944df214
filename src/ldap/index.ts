// The `<package>/ldap` entry point: an LDAP-backed `Directory` (R3) for Active Directory on a Hub
// and AD LDS on an Edge. It imports ldapts (an optional peer dependency); the core never imports
// this module, so users who bring their own Directory never load ldapts.
export { LdapDirectory } from "./directory.js";
export { LdapDirectoryError, type LdapErrorCode, type LdapPhase } from "./errors.js";
export {
  DEFAULT_NAME_ATTRIBUTE,
  DEFAULT_SERVER_OBJECT_CLASS,
  INTERNAL_TLS_CERT_ATTRIBUTE,
  type LdapConnectionOptions,
  type LdapDirectoryOptions,
  type ServerObjectLookup,
} from "./options.js";
