// A harness for the x509-limbo conformance corpus (https://github.com/C2SP/x509-limbo), usable
// by anyone: give it the parsed limbo.json object, get one verdict per testcase. It touches no
// file system (scripts/conformance.ts reads the file and prints the report).
//
// How a testcase is run: the peer certificate is validated against `trusted_certs`, with
// `untrusted_intermediates` as the pool, at `validation_time` (null: the wall clock), with
// `max_chain_depth` as the depth bound, and must carry `expected_peer_name`. Peer names are
// matched as a WebPKI client does, not as A7 does: SAN only (the subject CN is never a host
// name, RFC 9525) and a left-most wildcard allowed (RFC 6125 §6.4.3), since that is what the
// corpus tests. `key_usage` is required of the leaf's keyUsage when it has one.
//
// Q: which profile (A3)?
// A: "strict" by default. The corpus's rfc5280 and webpki namespaces test RFC 5280's rules for how
//    a CA must encode what it issues (critical basicConstraints, key identifiers, positive
//    serials…), which are exactly what the strict profile adds; the default profile (the Windows
//    chain engine's reading) accepts such certificates on purpose. `profile` overrides it.
// Q: which cases are skipped?
// A: those whose `features` name a policy we deliberately do not follow (SKIPPED_FEATURES says
//    why), and any asking for a validation kind, name kind or EKU we do not evaluate. A skipped
//    case is never counted as passed.
import { type ParsedCertificate, parseCertificate } from "../certificate.js";
import { KEY_USAGE, profileOf } from "./extensions.js";
import { type PathCheckOptions, PathValidator, type ValidationProfile } from "./validator.js";

/** One testcase, as limbo.json (schema version 1) writes it; fields we read. */
export interface LimboTestcase {
  readonly id: string;
  readonly features?: readonly string[] | null;
  readonly description?: string;
  readonly validation_kind: string;
  readonly trusted_certs: readonly string[];
  readonly untrusted_intermediates: readonly string[];
  readonly peer_certificate: string;
  readonly validation_time?: string | null;
  readonly signature_algorithms?: readonly string[] | null;
  readonly key_usage?: readonly string[] | null;
  readonly extended_key_usage?: readonly string[] | null;
  readonly expected_result: "SUCCESS" | "FAILURE";
  readonly expected_peer_name?: { readonly kind: string; readonly value: string } | null;
  readonly max_chain_depth?: number | null;
}

export interface LimboCorpus {
  readonly version: number;
  readonly testcases: readonly LimboTestcase[];
}

export type LimboVerdict =
  | {
      readonly outcome: "passed" | "failed";
      readonly actual: "SUCCESS" | "FAILURE";
      readonly detail: string;
      /** For a failed case listed in KNOWN_FAILURES: why it fails. */
      readonly known?: string;
    }
  | { readonly outcome: "skipped"; readonly detail: string };

export type LimboResult = LimboVerdict & {
  readonly id: string;
  /** The id's first `::` segment: rfc5280, webpki, pathlen, … */
  readonly namespace: string;
  readonly expected: "SUCCESS" | "FAILURE";
};

/** Features whose cases are skipped, and why: each is a policy choice docs/rules.md makes otherwise. */
export const SKIPPED_FEATURES: Readonly<Record<string, string>> = {
  "pedantic-webpki-eku":
    "A13: an EKU is optional, may be critical, may be anyExtendedKeyUsage, and a CA's EKU only has to allow serverAuth (CABF's stricter EKU profile is not ours)",
  "rfc5280-incompatible-with-webpki":
    "conflicts with webpki::nc::permitted-dns-match-noncritical; like OpenSSL and Go we enforce non-critical name constraints instead of rejecting them",
};

/**
 * Cases we fail on purpose, and why. They still count as failed; the report shows the reason
 * and the conformance script does not treat them as regressions.
 */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = {
  "rfc5280::nc::permitted-dn-match":
    "corpus defect at ddc40b4: expects SUCCESS for peer name example.com, but the leaf's only names are CN=foo and a directoryName SAN; accepting it would mean ignoring the requested name",
};

/** The limbo key_usage names we can require, as KeyUsage bits. */
const KEY_USAGE_BITS: Readonly<Record<string, number>> = {
  digitalSignature: KEY_USAGE.digitalSignature,
  keyEncipherment: KEY_USAGE.keyEncipherment,
  keyAgreement: KEY_USAGE.keyAgreement,
  keyCertSign: KEY_USAGE.keyCertSign,
};

const SERVER_AUTH_NAMES: ReadonlySet<string> = new Set(["serverAuth"]);

export interface LimboRunOptions {
  /** Overrides SKIPPED_FEATURES. */
  readonly skippedFeatures?: Readonly<Record<string, string>>;
  /** Evaluation time for cases whose validation_time is null. Default: the wall clock. */
  readonly now?: Date;
  /** Default "strict" (see the header). */
  readonly profile?: ValidationProfile;
}

export function namespaceOf(id: string): string {
  return id.split("::")[0] ?? id;
}

/** Runs every testcase of the corpus, in order. */
export async function runLimbo(
  corpus: LimboCorpus,
  options: LimboRunOptions = {},
): Promise<LimboResult[]> {
  const results: LimboResult[] = [];
  for (const testcase of corpus.testcases) {
    const verdict = await runLimboCase(testcase, options);
    results.push({
      ...verdict,
      id: testcase.id,
      namespace: namespaceOf(testcase.id),
      expected: testcase.expected_result,
    });
  }
  return results;
}

function skipReason(
  testcase: LimboTestcase,
  skipped: Readonly<Record<string, string>>,
): string | undefined {
  for (const feature of testcase.features ?? []) {
    const reason = skipped[feature];
    if (reason !== undefined) return `feature ${feature}: ${reason}`;
  }
  if (testcase.validation_kind !== "SERVER") return `validation kind ${testcase.validation_kind}`;
  const kind = testcase.expected_peer_name?.kind;
  if (kind !== undefined && kind !== "DNS" && kind !== "IP") return `peer name kind ${kind}`;
  for (const eku of testcase.extended_key_usage ?? []) {
    if (!SERVER_AUTH_NAMES.has(eku)) return `extended key usage ${eku}`;
  }
  for (const usage of testcase.key_usage ?? []) {
    if (KEY_USAGE_BITS[usage] === undefined) return `key usage ${usage}`;
  }
  return undefined;
}

/** Runs one testcase. */
export async function runLimboCase(
  testcase: LimboTestcase,
  options: LimboRunOptions = {},
): Promise<LimboVerdict> {
  const skip = skipReason(testcase, options.skippedFeatures ?? SKIPPED_FEATURES);
  if (skip !== undefined) return { outcome: "skipped", detail: skip };
  const actual = await evaluate(testcase, options);
  if (actual.result === testcase.expected_result) {
    return { outcome: "passed", actual: actual.result, detail: actual.detail };
  }
  const known = KNOWN_FAILURES[testcase.id];
  return {
    outcome: "failed",
    actual: actual.result,
    detail: actual.detail,
    ...(known === undefined ? {} : { known }),
  };
}

/** Parses what parses; an unparseable pool certificate is ignored, as a client would. */
function parsePool(pems: readonly string[]): ParsedCertificate[] {
  return pems.flatMap((pem) => {
    try {
      return [parseCertificate(pem)];
    } catch {
      return [];
    }
  });
}

async function evaluate(
  testcase: LimboTestcase,
  options: LimboRunOptions,
): Promise<{ result: "SUCCESS" | "FAILURE"; detail: string }> {
  let leaf: ParsedCertificate;
  try {
    leaf = parseCertificate(testcase.peer_certificate);
  } catch (error) {
    return { result: "FAILURE", detail: `peer does not parse: ${(error as Error).message}` };
  }
  const now = testcase.validation_time
    ? new Date(testcase.validation_time)
    : (options.now ?? new Date());
  const validator = new PathValidator({
    trustAnchors: parsePool(testcase.trusted_certs),
    intermediates: parsePool(testcase.untrusted_intermediates),
    ...(testcase.max_chain_depth == null ? {} : { maxDepth: testcase.max_chain_depth }),
    profile: options.profile ?? "strict",
  });
  const name = testcase.expected_peer_name;
  let check: PathCheckOptions = { nameSources: "san-only", wildcardNames: true };
  if (name?.kind === "DNS") check = { ...check, dnsName: name.value };
  if (name?.kind === "IP") {
    const bytes = parseIpAddress(name.value);
    if (bytes === undefined) return { result: "FAILURE", detail: `bad peer IP ${name.value}` };
    check = { ...check, ipAddress: bytes };
  }
  const result = await validator.validate(leaf, now, check);
  if (result.status === "invalid") {
    return { result: "FAILURE", detail: `${result.reason.code}: ${result.reason.message}` };
  }
  const usage = requiredKeyUsage(leaf, testcase.key_usage ?? []);
  if (usage !== undefined) return { result: "FAILURE", detail: usage };
  return { result: "SUCCESS", detail: `path of ${result.path.length}` };
}

function requiredKeyUsage(
  leaf: ParsedCertificate,
  required: readonly string[],
): string | undefined {
  const keyUsage = profileOf(leaf).keyUsage;
  if (keyUsage === undefined) return undefined;
  for (const usage of required) {
    if ((keyUsage & (KEY_USAGE_BITS[usage] ?? 0)) === 0) return `leaf keyUsage lacks ${usage}`;
  }
  return undefined;
}

/** Dotted-quad IPv4 or RFC 4291 text IPv6 to octets; undefined when malformed. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((part) => part <= 255) ? Uint8Array.from(parts) : undefined;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined) => (half ? half.split(":") : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill("0"), ...tail];
  if (!all.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return Uint8Array.from(
    all.flatMap((group) => {
      const value = Number.parseInt(group, 16);
      return [value >> 8, value & 0xff];
    }),
  );
}
