// Chains with certificate-policy extensions (A19) for test/path/policies.test.ts, and an
// `openssl verify -policy_check` runner to compare them with (an outside oracle). The policy
// extensions are DER-encoded here by hand, independently of src/x509/path/policy-extensions.ts,
// so malformed shapes (empty lists, duplicates, anyPolicy mappings) can be made on purpose.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { ParsedCertificate } from "../../src/x509/certificate.js";
import { intermediate, leaf, NOW, type Node, root } from "./chains.js";
import { type KeyName, toPem } from "./forge.js";

export const ANY = "2.5.29.32.0";
/** NIST PKITS's test policies 1..6 (2.16.840.1.101.3.2.1.48.n), used as ordinary OIDs. */
export const P1 = "2.16.840.1.101.3.2.1.48.1";
export const P2 = "2.16.840.1.101.3.2.1.48.2";
export const P3 = "2.16.840.1.101.3.2.1.48.3";
export const P4 = "2.16.840.1.101.3.2.1.48.4";
export const P5 = "2.16.840.1.101.3.2.1.48.5";
export const P6 = "2.16.840.1.101.3.2.1.48.6";

// --- a minimal DER writer -----------------------------------------------------------------

function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
}

export function tlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  const body = Buffer.concat(contents);
  return Uint8Array.from([tag, ...length(body.length), ...body]);
}

export const seq = (...contents: readonly Uint8Array[]): Uint8Array => tlv(0x30, ...contents);

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const body: number[] = [];
  for (const value of values) {
    const groups: number[] = [];
    let v = value;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    body.push(...groups.map((group, i) => (i < groups.length - 1 ? group | 0x80 : group)));
  }
  return tlv(0x06, Uint8Array.from(body));
}

/** A non-negative INTEGER's content octets (minimal), under `tag`. */
export function integer(value: number, tag = 0x02): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Uint8Array.from(bytes));
}

const CPS_QUALIFIER = "1.3.6.1.5.5.7.2.1";

/** certificatePolicies value; a policy given as [oid, cpsUri] carries a CPS qualifier. */
export function certificatePoliciesValue(
  policies: readonly (string | readonly [string, string])[],
): Uint8Array {
  return seq(
    ...policies.map((policy) =>
      typeof policy === "string"
        ? seq(oid(policy))
        : seq(
            oid(policy[0]),
            seq(seq(oid(CPS_QUALIFIER), tlv(0x16, new TextEncoder().encode(policy[1])))),
          ),
    ),
  );
}

export function policyMappingsValue(pairs: readonly (readonly [string, string])[]): Uint8Array {
  return seq(...pairs.map(([issuer, subject]) => seq(oid(issuer), oid(subject))));
}

export function policyConstraintsValue(fields: {
  readonly requireExplicitPolicy?: number | undefined;
  readonly inhibitPolicyMapping?: number | undefined;
}): Uint8Array {
  return seq(
    ...(fields.requireExplicitPolicy === undefined
      ? []
      : [integer(fields.requireExplicitPolicy, 0x80)]),
    ...(fields.inhibitPolicyMapping === undefined
      ? []
      : [integer(fields.inhibitPolicyMapping, 0x81)]),
  );
}

export const inhibitAnyPolicyValue = (skipCerts: number): Uint8Array => integer(skipCerts);

// --- chains ---------------------------------------------------------------------------------

/** What one certificate of a test chain says about policies. */
export interface PolicySpec {
  /** certificatePolicies (absent when undefined); [oid, uri] adds a CPS qualifier. */
  readonly policies?: readonly (string | readonly [string, string])[];
  readonly mappings?: readonly (readonly [string, string])[];
  readonly requireExplicitPolicy?: number;
  readonly inhibitPolicyMapping?: number;
  readonly inhibitAnyPolicy?: number;
  /** A CA certificate with the same name as its issuer (a key rollover, RFC 5280 §3.2). */
  readonly selfIssued?: boolean;
  /** Raw extension values instead of the fields above (malformed shapes). */
  readonly raw?: readonly { readonly oid: string; readonly value: Uint8Array }[];
}

export interface PolicyChain {
  readonly anchor: ParsedCertificate;
  /** Certificate 1 (issued by the anchor) first. */
  readonly intermediates: readonly ParsedCertificate[];
  readonly leaf: ParsedCertificate;
  /** As the validator hands it to processPolicies: leaf first, anchor last. */
  readonly path: readonly ParsedCertificate[];
}

/**
 * Whether the policy extensions are marked critical. RFC 5280 wants policyConstraints and
 * inhibitAnyPolicy critical; OpenSSL processes them either way. Default false: the path
 * validator's critical-extension check only knows the policy OIDs once checks.ts lists them.
 */
export interface ChainOptions {
  readonly critical?: boolean;
  /** The anchor's own policy extensions (never processed: RFC 5280 §6.1). */
  readonly anchor?: PolicySpec;
  /** The leaf gets its issuer's name (a self-issued certificate n). */
  readonly leafSelfIssued?: boolean;
}

function extensionsOf(spec: PolicySpec, critical: boolean) {
  const list: { oid: string; critical: boolean; value: Uint8Array }[] = [];
  if (spec.policies !== undefined) {
    list.push({ oid: "2.5.29.32", critical, value: certificatePoliciesValue(spec.policies) });
  }
  if (spec.mappings !== undefined) {
    list.push({ oid: "2.5.29.33", critical, value: policyMappingsValue(spec.mappings) });
  }
  if (spec.requireExplicitPolicy !== undefined || spec.inhibitPolicyMapping !== undefined) {
    list.push({ oid: "2.5.29.36", critical, value: policyConstraintsValue(spec) });
  }
  if (spec.inhibitAnyPolicy !== undefined) {
    list.push({ oid: "2.5.29.54", critical, value: inhibitAnyPolicyValue(spec.inhibitAnyPolicy) });
  }
  for (const raw of spec.raw ?? []) list.push({ ...raw, critical });
  return list;
}

/** Keys for the anchor, up to six CAs, and the leaf (a CA beyond six reuses a key). */
const CA_KEYS: readonly KeyName[] = ["p256-2", "p256-3", "p256-4", "p256-5", "rsa-1", "rsa-2"];

/**
 * anchor → cas[0] → … → leaf, with the given policy extensions. `id` prefixes every name, so
 * chains from different tests never chain into each other (one shared OpenSSL CAfile is safe).
 */
export async function policyChain(
  id: string,
  cas: readonly PolicySpec[],
  leafSpec: PolicySpec,
  options: ChainOptions = {},
): Promise<PolicyChain> {
  const critical = options.critical === true;
  const anchorNode: Node = { name: `${id} Root`, key: "p256-1" };
  const anchor = await root(anchorNode, {
    extraExtensions: extensionsOf(options.anchor ?? {}, critical),
  });
  const intermediates: ParsedCertificate[] = [];
  let issuer = anchorNode;
  for (const [index, spec] of cas.entries()) {
    const node: Node = {
      name: spec.selfIssued === true ? issuer.name : `${id} CA${index + 1}`,
      key: CA_KEYS[index % CA_KEYS.length]!,
    };
    intermediates.push(
      await intermediate(node, issuer, {
        extraExtensions: extensionsOf(spec, critical),
        // Self-issued certificates get no AKI by default; the path builder wants one.
        aki: true,
      }),
    );
    issuer = node;
  }
  const leafName = options.leafSelfIssued === true ? issuer.name : `${id.toLowerCase()}.leaf.test`;
  const end = await leaf({ name: leafName, key: "p256-6" }, issuer, {
    extraExtensions: extensionsOf(leafSpec, critical),
    aki: true,
  });
  return {
    anchor,
    intermediates,
    leaf: end,
    path: [end, ...[...intermediates].reverse(), anchor],
  };
}

// --- openssl verify -policy_check ----------------------------------------------------------

/** The four RFC 5280 §6.1.1 inputs, as OpenSSL's verify options spell them. */
export interface OpensslPolicyInputs {
  readonly initialPolicySet?: readonly string[];
  readonly initialExplicitPolicy?: boolean;
  readonly initialPolicyMappingInhibit?: boolean;
  readonly initialAnyPolicyInhibit?: boolean;
}

export interface OpensslPolicyVerdict {
  readonly ok: boolean;
  /** "error N at D depth lookup: …" lines. */
  readonly errors: readonly string[];
  /** -policy_print's "Authority Policies" (OIDs; anyPolicy as 2.5.29.32.0). */
  readonly authorityPolicies: readonly string[] | undefined;
  /** -policy_print's "User Policies" (OpenSSL leaves it empty when -policy is not given). */
  readonly userPolicies: readonly string[] | undefined;
  readonly output: string;
}

const OPENSSL_NAMES: Readonly<Record<string, string>> = {
  "X509v3 Any Policy": ANY,
};

/**
 * `openssl verify -policy_check -policy_print` on one chain, with the inputs mapped to
 * -policy, -explicit_policy, -inhibit_map and -inhibit_any. -x509_strict is left out: it would
 * judge encoding rules that are not under test here.
 */
export function opensslPolicyVerify(
  chain: PolicyChain,
  inputs: OpensslPolicyInputs = {},
): OpensslPolicyVerdict {
  const dir = mkdtempSync(join(tmpdir(), "policy-diff-"));
  try {
    writeFileSync(join(dir, "anchor.pem"), toPem(chain.anchor.der));
    writeFileSync(join(dir, "leaf.pem"), toPem(chain.leaf.der));
    const untrusted = chain.intermediates.map((certificate) => toPem(certificate.der)).join("");
    if (untrusted.length > 0) writeFileSync(join(dir, "untrusted.pem"), untrusted);
    const args = [
      "verify",
      "-policy_check",
      "-policy_print",
      // Without -policy OpenSSL has an empty user set (not any-policy): name the default.
      ...(inputs.initialPolicySet ?? [ANY]).flatMap((policy) => ["-policy", policy]),
      ...(inputs.initialExplicitPolicy === true ? ["-explicit_policy"] : []),
      ...(inputs.initialPolicyMappingInhibit === true ? ["-inhibit_map"] : []),
      ...(inputs.initialAnyPolicyInhibit === true ? ["-inhibit_any"] : []),
      "-attime",
      String(Math.floor(NOW.getTime() / 1000)),
      "-CAfile",
      join(dir, "anchor.pem"),
      ...(untrusted.length > 0 ? ["-untrusted", join(dir, "untrusted.pem")] : []),
      join(dir, "leaf.pem"),
    ];
    const run = spawnSync("sh", ["-c", 'exec "$0" "$@" 2>&1', "openssl", ...args], {
      encoding: "utf8",
    });
    const output = run.stdout;
    const lines = output.split("\n");
    const errors = lines.filter((line) => /^error \d+ at \d+ depth lookup:/.test(line));
    const ok = lines.some((line) => line.endsWith("leaf.pem: OK"));
    return {
      ok,
      errors,
      authorityPolicies: printedPolicies(lines, "Authority Policies"),
      userPolicies: printedPolicies(lines, "User Policies"),
      output,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The OIDs listed under one of -policy_print's headings ("Authority Policies", "User Policies");
 * [] for "<empty>", undefined when the heading is missing.
 */
function printedPolicies(lines: readonly string[], heading: string): string[] | undefined {
  const start = lines.findIndex((line) => line.startsWith(`${heading}:`));
  if (start < 0) return undefined;
  if (lines[start]!.includes("<empty>")) return [];
  const policies: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^ {2}Policy: (.+)$/.exec(line);
    if (match !== null) {
      const name = match[1]!.trim();
      policies.push(OPENSSL_NAMES[name] ?? name);
    } else if (!line.startsWith("    ")) break;
  }
  return policies;
}

// --- a literal RFC 5280 tree, as a reference ------------------------------------------------

/** One certificate as the reference reads it: the decoded fields, no DER. */
export interface ReferenceCertificate {
  readonly policies?: readonly string[];
  readonly mappings?: readonly (readonly [string, string])[];
  readonly requireExplicitPolicy?: number;
  readonly inhibitPolicyMapping?: number;
  readonly inhibitAnyPolicy?: number;
  readonly selfIssued: boolean;
}

interface TreeNode {
  readonly policy: string;
  expected: readonly string[];
  readonly parent: TreeNode | undefined;
  readonly children: TreeNode[];
  readonly depth: number;
}

/**
 * RFC 5280 §6.1.2-§6.1.5 word for word, with pointer nodes and one node per parent (the tree
 * that can explode), for small random paths only: the property test checks the graph in
 * policies.ts against it. Certificates are given certificate 1 first; n >= 1. Returns the
 * verdict and the anchor-domain policy set (nodes whose parent is anyPolicy, or anyPolicy alone
 * when it survives at depth n and the caller's set is any-policy).
 */
export function referencePolicyTree(
  certificates: readonly ReferenceCertificate[],
  inputs: OpensslPolicyInputs,
): { readonly ok: boolean; readonly policies: readonly string[] } {
  const n = certificates.length;
  let root: TreeNode | null = {
    policy: ANY,
    expected: [ANY],
    parent: undefined,
    children: [],
    depth: 0,
  };
  const add = (parent: TreeNode, policy: string, expected: readonly string[]) =>
    parent.children.push({ policy, expected, parent, children: [], depth: parent.depth + 1 });
  const all = (): TreeNode[] => {
    const out: TreeNode[] = [];
    const walk = (node: TreeNode) => {
      out.push(node);
      for (const child of node.children) walk(child);
    };
    if (root !== null) walk(root);
    return out;
  };
  const at = (depth: number) => all().filter((node) => node.depth === depth);
  const remove = (node: TreeNode) => {
    if (node.parent === undefined) root = null;
    else {
      const index = node.parent.children.indexOf(node);
      if (index >= 0) node.parent.children.splice(index, 1);
    }
  };
  const prune = (maxDepth: number) => {
    for (;;) {
      const childless = all().filter(
        (node) => node.depth <= maxDepth && node.children.length === 0,
      );
      if (childless.length === 0) return;
      for (const node of childless) remove(node);
    }
  };
  let explicitPolicy = inputs.initialExplicitPolicy === true ? 0 : n + 1;
  let policyMapping = inputs.initialPolicyMappingInhibit === true ? 0 : n + 1;
  let inhibitAnyPolicy = inputs.initialAnyPolicyInhibit === true ? 0 : n + 1;
  for (let i = 1; i <= n; i++) {
    const certificate = certificates[i - 1]!;
    const policies = certificate.policies;
    // §6.1.3 (d)
    if (root !== null && policies !== undefined) {
      const previous = at(i - 1);
      for (const policy of policies) {
        if (policy === ANY) continue;
        const matching = previous.filter((node) => node.expected.includes(policy));
        for (const node of matching) add(node, policy, [policy]);
        const anyNode = previous.find((node) => node.policy === ANY);
        if (matching.length === 0 && anyNode !== undefined) add(anyNode, policy, [policy]);
      }
      if (policies.includes(ANY) && (inhibitAnyPolicy > 0 || (i < n && certificate.selfIssued))) {
        for (const node of previous) {
          for (const expected of node.expected) {
            if (!node.children.some((child) => child.policy === expected)) {
              add(node, expected, [expected]);
            }
          }
        }
      }
      prune(i - 1);
    }
    // (e), (f)
    if (policies === undefined) root = null;
    if (explicitPolicy === 0 && root === null) return { ok: false, policies: [] };
    if (i === n) break;
    // §6.1.4 (b)
    if (certificate.mappings !== undefined && root !== null) {
      const grouped = new Map<string, string[]>();
      for (const [from, to] of certificate.mappings) {
        const list = grouped.get(from) ?? [];
        if (!list.includes(to)) list.push(to);
        grouped.set(from, list);
      }
      for (const [from, to] of grouped) {
        const nodes = at(i).filter((node) => node.policy === from);
        if (policyMapping > 0) {
          for (const node of nodes) node.expected = to;
          const anyNode = at(i).find((node) => node.policy === ANY);
          if (nodes.length === 0 && anyNode?.parent !== undefined) add(anyNode.parent, from, to);
        } else {
          for (const node of nodes) remove(node);
          prune(i - 1);
        }
      }
    }
    // (h), (i), (j)
    if (!certificate.selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
    }
    if (certificate.requireExplicitPolicy !== undefined) {
      explicitPolicy = Math.min(explicitPolicy, certificate.requireExplicitPolicy);
    }
    if (certificate.inhibitPolicyMapping !== undefined) {
      policyMapping = Math.min(policyMapping, certificate.inhibitPolicyMapping);
    }
    if (certificate.inhibitAnyPolicy !== undefined) {
      inhibitAnyPolicy = Math.min(inhibitAnyPolicy, certificate.inhibitAnyPolicy);
    }
  }
  // §6.1.5 (a), (b)
  if (explicitPolicy > 0) explicitPolicy--;
  if (certificates[n - 1]!.requireExplicitPolicy === 0) explicitPolicy = 0;
  // (g)
  const initial = inputs.initialPolicySet ?? [ANY];
  const anyPolicySet = initial.includes(ANY);
  if (root !== null && anyPolicySet && at(n).some((node) => node.policy === ANY)) {
    return { ok: true, policies: [ANY] };
  }
  if (root !== null && !anyPolicySet) {
    const nodeSet = all().filter((node) => node.parent?.policy === ANY);
    for (const node of nodeSet) {
      if (node.policy !== ANY && !initial.includes(node.policy)) remove(node);
    }
    const anyLeaf = at(n).find((node) => node.policy === ANY);
    if (anyLeaf?.parent !== undefined) {
      for (const policy of initial) {
        if (!nodeSet.some((node) => node.policy === policy)) add(anyLeaf.parent, policy, [policy]);
      }
      remove(anyLeaf);
    }
    prune(n - 1);
  }
  const policies = [
    ...new Set(
      all()
        .filter((node) => node.parent?.policy === ANY && node.policy !== ANY)
        .map((node) => node.policy),
    ),
  ].sort();
  return { ok: explicitPolicy > 0 || root !== null, policies };
}
