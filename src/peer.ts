// Optional peer dependencies (ldapts for /ldap, smtp-server for /smtp-server): an entry point
// imports its peer first, so that "not installed" becomes an error that says what to install.

/** The `code` of the error an entry point throws when its peer dependency is not installed. */
export const MISSING_PEER_DEPENDENCY = "ERR_MISSING_PEER_DEPENDENCY";

/**
 * Imports `peer` through `importPeer`. Only "the peer itself cannot be found" is rewritten; anything
 * else (a broken install, a missing dependency of the peer) is left as Node reported it, since the
 * advice would be wrong.
 */
export async function importPeerDependency(
  entry: string,
  peer: string,
  version: string,
  importPeer: () => Promise<unknown>,
): Promise<void> {
  try {
    await importPeer();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : "";
    const namesPeer = [`'${peer}'`, `"${peer}"`].some((quoted) => message.includes(quoted));
    if (code === "ERR_MODULE_NOT_FOUND" && namesPeer) {
      throw Object.assign(
        new Error(
          `exchange-anonymous-tls/${entry} needs the optional peer dependency "${peer}" (version ${version}), which is not installed: run \`npm install ${peer}@${version}\`.`,
          { cause: error },
        ),
        { code: MISSING_PEER_DEPENDENCY },
      );
    }
    throw error;
  }
}
