// The command's usage text, in a module of its own that imports nothing: `--help` prints it
// without loading the rest of the command (main.ts), and runCli prints the same text.
/** The command's name, as users type it. */
export const PROGRAM = "exchange-anonymous-tls";

/** Exit statuses: 0 the certificate is used, 1 none, 2 bad input, 3 an internal error. */
export const EXIT = { used: 0, none: 1, badInput: 2, bug: 3 } as const;

/** The usage text of `exchange-anonymous-tls --help`. */
export const HELP = `Usage: ${PROGRAM} explain [snapshot.json] [options]
       ${PROGRAM} serve --snapshot snapshot.json | --store <folder> [--listen host:port]
       ${PROGRAM} schema [snapshot|output]

Explains which certificate an Exchange transport server uses for anonymous TLS (X-ANONYMOUSTLS)
or, with --starttls/--starttls-outbound, for STARTTLS, and why, from a JSON snapshot of the
server: its role, connectors, names, msExchServerInternalTLSCert and certificate store. Without a
snapshot it explains the bundled demo: an Edge server whose renewed certificate is ignored (event
1037); src/demo/starttls-renewal.json (npm run demo:starttls) is the STARTTLS one (event 12014).

Options:
  --json                  machine-readable output (its JSON Schema: ${PROGRAM} schema output)
  --inbound               the receiving side (Receive connector, I1-I4), not the sending side
  --starttls              inbound STARTTLS of the snapshot's Receive connector (S1-S9)
  --starttls-outbound     outbound STARTTLS of the snapshot's Send connector (S10, S11)
  --edition <edition>     2007 (Exchange 2007, 2010) or 2016 (Exchange 2016, 2019, SE; E1-E6);
                          overrides the snapshot's "edition" (default 2007)
  --at <date>             evaluate at this time: 2027-01-15 (UTC), 2027-01-15T09:30:00Z, or +30d
                          (days after the snapshot's evaluatedAt, or after now)
  --profile <name>        path validation profile: rfc5280 (default) or strict (A3)
  --revocation <mode>     soft or hard CRL checking (default: soft when the snapshot has CRLs)
  --without <thumbprint>  what if this certificate were removed from the store (repeatable)
  --with <file>           what if this PEM/DER certificate were added, SMTP enabled, with its
                          key from <file-stem>.key when present (repeatable)
                          --with/--without print the decision before and after;
                          the exit status is that of the decision after
  -h, --help              show this help
  --version               show the version

Exit status: 0 a certificate is used, 1 none is, 2 bad input, 3 internal error.
Colour only on a terminal; NO_COLOR turns it off, FORCE_COLOR on.
`;
