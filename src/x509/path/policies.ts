// Certificate policy processing (A19): RFC 5280 §6.1.2 (initialisation), §6.1.3 (d)(e)(f),
// §6.1.4 (a)(b)(h)(i)(j) and §6.1.5 (a)(b)(g), with the valid_policy_tree kept as the equivalent
// graph of RFC 9618 (as Go's crypto/x509 and BoringSSL keep it).
//
// Q: tree or graph?
// A: graph. Where RFC 5280 gives a policy one node per parent (so the tree can grow
//    exponentially with the depth of the path: CVE-2023-0464), RFC 9618 gives each policy one
//    node per depth with a list of parents, and shows that the outcome (valid or not, and the
//    user-constrained policy set) is the same; the graph grows linearly with the certificates'
//    own policy and mapping entries. Each depth is a Map from valid_policy to its node. (The
//    tests check the equivalence against a literal RFC 5280 tree on random paths.)
// Q: what is bounded, and why 10,000?
// A: every node and every parent link ever created counts against POLICY_GRAPH_BUDGET; the
//    first step that would pass it stops with "policy-tree-too-large" before allocating. A
//    certificate asserts a handful of policies and a cross-certificate maps a handful more (the
//    largest NIST PKITS path needs 21 nodes and links), so 10,000 is far above any honest
//    path, while the worst a hostile path can cost is ~10,000 small Map/Set operations (a few
//    milliseconds). Because the graph is linear, only certificates that carry thousands of
//    policies or mapping pairs can reach it; the classic "tree explosion" chain (k policies,
//    each mapped to all k, at every depth) costs k nodes and k² links per depth here, not k^n.
//    (OpenSSL caps its RFC 5280 tree at 1,000 nodes instead, so it rejects explosion chains
//    that this graph validates; the tests show both.)
// Q: which policies are reported?
// A: the user_constrained_policy_set of RFC 9618 §6.1.5 (g): policies in the trust anchor's
//    policy domain (a policy the path reaches through a mapping is reported as the policy it was
//    mapped from), filtered by user-initial-policy-set. When anyPolicy survives at depth n the
//    path is valid for every policy: the set is then ["2.5.29.32.0"] alone if the caller's set
//    is anyPolicy (RFC 9618 would also list the explicit policies beside it; they add nothing,
//    and OpenSSL's -policy_print reports anyPolicy alone too), and exactly the caller's
//    policies otherwise. Sorted by OID arcs, no duplicates. This is the
//    "user-constrained-policy-set" of the NIST PKITS expected results.
// Q: the caller's policy set contains anyPolicy next to other OIDs, or is empty?
// A: containing anyPolicy means any-policy (every policy is acceptable). Empty means no policy
//    is acceptable: the path is then valid only while explicit_policy stays above zero.
// Q: what of the trust anchor's own policy extensions?
// A: ignored: the anchor is an input to the algorithm, not certificate 1 of the path (RFC 5280
//    §6.1; using them is RFC 5937's optional extension, which we do not implement). A path that
//    is only a directly trusted leaf has n = 0: nothing is processed and the outcome is the
//    caller's policy set (anyPolicy by default).
// Q: policyMappings that map to or from anyPolicy?
// A: "bad-policy-mapping" on whichever certificate of the path carries it, the leaf too: RFC
//    5280 §4.2.1.5 forbids the value outright, and OpenSSL rejects it at every position as well
//    (§6.1.4 (a) only reaches certificates 1..n-1 because only those are processed for mapping).
// Q: where does OpenSSL 3.0 (`openssl verify -policy_check`) decide otherwise?
// A: in four corners, each pinned by a test: it rejects the tree-explosion chains (its tree
//    stops at a node cap and verify reports "malloc failure"); it does not decrement
//    explicit_policy for a self-issued certificate n (§6.1.5 (a) does); it applies certificate
//    n's policyMappings (§6.1.4 is for certificates 1..n-1); and it maps an issuer policy
//    through a certificate's anyPolicy even when inhibit_anyPolicy has switched that anyPolicy
//    off (§6.1.4 (b)(1) needs the anyPolicy node). Everywhere else, including 120 random chains
//    in the tests, the verdict and the policy set agree.
// Q: a malformed policy extension?
// A: "bad-extension" with its OID (policy-extensions.ts lists what is malformed), on any
//    certificate of the path except the anchor, even one whose extension the algorithm would not
//    read (the leaf's policyMappings): fail closed.
import type { ParsedCertificate } from "../certificate.js";
import { profileOf } from "./extensions.js";
import { type PathFailure, pathFailure } from "./failure.js";
import {
  POLICY_OID,
  type PolicyExtensions,
  type PolicyMapping,
  policyExtensionsOf,
} from "./policy-extensions.js";
import type { PolicyInputs } from "./validator.js";

export const ANY_POLICY = POLICY_OID.anyPolicy;

/** Most policy-graph nodes plus parent links one path may create (see the Q&A above). */
export const POLICY_GRAPH_BUDGET = 10_000;

export type PolicyOutcome =
  /** `policies`: the user-constrained policy set (RFC 5280 §6.1.5 (g), as RFC 9618 states it). */
  | { readonly ok: true; readonly policies: readonly string[] }
  | { readonly ok: false; readonly failure: PathFailure };

/**
 * Runs policy processing over a complete path, given leaf first and trust anchor last (the anchor
 * is not part of the prospective path: its own extensions are not processed, RFC 5280 §6.1).
 * Never throws; a hostile chain gets `policy-tree-too-large`, never unbounded work.
 */
export function processPolicies(
  path: readonly ParsedCertificate[],
  inputs: PolicyInputs,
): PolicyOutcome {
  // RFC 5280 numbering: certificates[0] is certificate 1 (issued by the anchor), the last one is
  // certificate n (the leaf).
  const certificates = path.slice(0, -1).reverse();
  const n = certificates.length;
  const extensions: PolicyExtensions[] = [];
  for (const certificate of certificates) {
    const decoded = readPolicyExtensions(certificate);
    if ("failure" in decoded) return { ok: false, failure: decoded.failure };
    extensions.push(decoded);
  }

  // §6.1.2 (a), (d), (e), (f): the graph is a single anyPolicy node; the counters start at n+1,
  // or at 0 when the caller sets the matching initial input.
  const state: PolicyState = {
    graph: new PolicyGraph(),
    explicitPolicy: inputs.initialExplicitPolicy === true ? 0 : n + 1,
    policyMapping: inputs.initialPolicyMappingInhibit === true ? 0 : n + 1,
    inhibitAnyPolicy: inputs.initialAnyPolicyInhibit === true ? 0 : n + 1,
  };
  for (let i = 1; i <= n; i++) {
    const certificate = certificates[i - 1]!;
    const own = extensions[i - 1]!;
    const failure =
      processCertificate(state, i, n, certificate, own) ??
      (i < n ? prepareForNext(state, certificate, own) : undefined);
    if (failure !== undefined) return { ok: false, failure };
  }
  return wrapUp(state, certificates[n - 1], extensions[n - 1], inputs);
}

interface PolicyState {
  /** valid_policy_tree (as a graph); null is RFC 5280's NULL tree. */
  graph: PolicyGraph | null;
  explicitPolicy: number;
  policyMapping: number;
  inhibitAnyPolicy: number;
}

/** The decoded extensions, or why the certificate cannot be on a valid path. */
function readPolicyExtensions(
  certificate: ParsedCertificate,
): PolicyExtensions | { readonly failure: PathFailure } {
  const decoded = policyExtensionsOf(certificate);
  if (!decoded.ok) {
    return {
      failure: pathFailure("bad-extension", `${decoded.oid}: ${decoded.message}`, certificate, {
        oid: decoded.oid,
      }),
    };
  }
  // RFC 5280 §4.2.1.5, §6.1.4 (a): policies are never mapped to or from anyPolicy.
  const bad = decoded.value.mappings?.find(
    (mapping) =>
      mapping.issuerDomainPolicy === ANY_POLICY || mapping.subjectDomainPolicy === ANY_POLICY,
  );
  if (bad !== undefined) {
    return {
      failure: pathFailure(
        "bad-policy-mapping",
        `policyMappings maps ${bad.issuerDomainPolicy} to ${bad.subjectDomainPolicy}: anyPolicy cannot be mapped`,
        certificate,
        {
          issuerDomainPolicy: bad.issuerDomainPolicy,
          subjectDomainPolicy: bad.subjectDomainPolicy,
        },
      ),
    };
  }
  return decoded.value;
}

/** §6.1.3 (d), (e), (f) for certificate i of n. */
function processCertificate(
  state: PolicyState,
  i: number,
  n: number,
  certificate: ParsedCertificate,
  own: PolicyExtensions,
): PathFailure | undefined {
  const graph = state.graph;
  if (graph !== null) {
    if (own.policies === undefined) {
      // (e): no certificatePolicies, no valid policy from here on.
      state.graph = null;
    } else {
      // (d)(2): anyPolicy in the certificate counts while inhibit_anyPolicy allows it, and
      // always in a self-issued intermediate.
      const anyPolicyCounts =
        state.inhibitAnyPolicy > 0 || (i < n && profileOf(certificate).selfIssued);
      if (!graph.addCertificatePolicies(own.policies, anyPolicyCounts)) {
        return tooLarge(certificate, i);
      }
      // (d)(3): nodes above depth i that no policy of this certificate continues are dropped.
      graph.prune(i - 1);
      if (graph.isNull()) state.graph = null;
    }
  }
  // (f)
  if (state.explicitPolicy === 0 && state.graph === null) {
    return pathFailure(
      "no-valid-policy",
      `no valid policy at certificate ${i} of ${n}, and an explicit policy is required`,
      certificate,
      { depth: i, explicitPolicy: 0 },
    );
  }
  return undefined;
}

/** §6.1.4 (b), (h), (i), (j): preparation for certificate i+1 ((a) is checked up front). */
function prepareForNext(
  state: PolicyState,
  certificate: ParsedCertificate,
  own: PolicyExtensions,
): PathFailure | undefined {
  // (b)
  if (own.mappings !== undefined && state.graph !== null) {
    const mapped = groupMappings(own.mappings);
    if (state.policyMapping > 0) {
      // (b)(1): a mapped policy now expects its subject-domain equivalents.
      if (!state.graph.applyMappings(mapped)) return tooLarge(certificate, state.graph.depth);
    } else {
      // (b)(2): mapping is inhibited: the mapped policies end here.
      state.graph.removeMapped(mapped.keys());
      if (state.graph.isNull()) state.graph = null;
    }
  }
  // (h): self-issued certificates (key rollover) do not use up a skip count.
  if (!profileOf(certificate).selfIssued) {
    if (state.explicitPolicy > 0) state.explicitPolicy--;
    if (state.policyMapping > 0) state.policyMapping--;
    if (state.inhibitAnyPolicy > 0) state.inhibitAnyPolicy--;
  }
  // (i), (j): a constraint can only lower a counter.
  if (own.requireExplicitPolicy !== undefined) {
    state.explicitPolicy = Math.min(state.explicitPolicy, own.requireExplicitPolicy);
  }
  if (own.inhibitPolicyMapping !== undefined) {
    state.policyMapping = Math.min(state.policyMapping, own.inhibitPolicyMapping);
  }
  if (own.inhibitAnyPolicy !== undefined) {
    state.inhibitAnyPolicy = Math.min(state.inhibitAnyPolicy, own.inhibitAnyPolicy);
  }
  return undefined;
}

/** §6.1.5 (a), (b), (g) and the final explicit_policy check. */
function wrapUp(
  state: PolicyState,
  leaf: ParsedCertificate | undefined,
  own: PolicyExtensions | undefined,
  inputs: PolicyInputs,
): PolicyOutcome {
  // (a), (b): only when there is a certificate n (a directly trusted leaf has n = 0).
  if (leaf !== undefined && own !== undefined) {
    if (state.explicitPolicy > 0) state.explicitPolicy--;
    if (own.requireExplicitPolicy === 0) state.explicitPolicy = 0;
  }
  // (g)
  const authority = state.graph?.authorityConstrainedPolicySet() ?? new Set<string>();
  const policies = userConstrainedPolicySet(authority, inputs.initialPolicySet ?? [ANY_POLICY]);
  if (state.explicitPolicy > 0 || policies.length > 0) return { ok: true, policies };
  return {
    ok: false,
    failure: pathFailure(
      "no-valid-policy",
      state.graph === null
        ? "no valid policy for the path, and an explicit policy is required"
        : "none of the path's valid policies is in the acceptable policy set, and an explicit policy is required",
      leaf,
      {
        authorityPolicies: sortOids(authority),
        initialPolicySet: [...(inputs.initialPolicySet ?? [ANY_POLICY])],
      },
    ),
  };
}

/**
 * RFC 9618 §6.1.5 (g)(5)(6): the authority-constrained set, narrowed to the caller's
 * user-initial-policy-set; a surviving anyPolicy stands for each policy the caller named.
 */
function userConstrainedPolicySet(
  authority: ReadonlySet<string>,
  initial: readonly string[],
): string[] {
  if (initial.includes(ANY_POLICY)) return sortOids(authority);
  const wanted = new Set(initial);
  const result = new Set([...authority].filter((policy) => wanted.has(policy)));
  if (authority.has(ANY_POLICY)) for (const policy of wanted) result.add(policy);
  return sortOids(result);
}

/** issuerDomainPolicy → its subjectDomainPolicy values, in certificate order, no duplicates. */
function groupMappings(mappings: readonly PolicyMapping[]): Map<string, readonly string[]> {
  const grouped = new Map<string, Set<string>>();
  for (const { issuerDomainPolicy, subjectDomainPolicy } of mappings) {
    let subjects = grouped.get(issuerDomainPolicy);
    if (subjects === undefined) {
      subjects = new Set();
      grouped.set(issuerDomainPolicy, subjects);
    }
    subjects.add(subjectDomainPolicy);
  }
  return new Map([...grouped].map(([issuer, subjects]) => [issuer, [...subjects]]));
}

function tooLarge(certificate: ParsedCertificate, depth: number): PathFailure {
  return pathFailure(
    "policy-tree-too-large",
    `the valid policy tree would exceed ${POLICY_GRAPH_BUDGET} nodes and links at depth ${depth}`,
    certificate,
    { budget: POLICY_GRAPH_BUDGET, depth },
  );
}

/** One node of the graph: RFC 5280's node without qualifier_set, with parents (RFC 9618). */
interface PolicyNode {
  /** expected_policy_set: the policies of the next certificate that continue this one. */
  expected: readonly string[];
  /** The valid_policy of each parent, one depth up (at most one node per policy per depth). */
  readonly parents: ReadonlySet<string>;
}

/** One depth of the graph, by valid_policy. */
type Level = Map<string, PolicyNode>;

/** valid_policy_tree as RFC 9618's valid_policy_graph; depth d is `levels[d]`. */
class PolicyGraph {
  readonly #levels: Level[] = [
    new Map([[ANY_POLICY, { expected: [ANY_POLICY], parents: new Set() }]]),
  ];
  /** Nodes and parent links created so far (never decreases: it bounds work, not memory). */
  #size = 1;

  get depth(): number {
    return this.#levels.length - 1;
  }

  /** RFC 5280's NULL tree: pruning removed the root. */
  isNull(): boolean {
    return this.#levels[0]!.size === 0;
  }

  /** A node at the deepest level; false (nothing added) when the budget would be exceeded. */
  #add(
    level: Level,
    policy: string,
    parents: readonly string[],
    expected: readonly string[],
  ): boolean {
    if (this.#size + 1 + parents.length > POLICY_GRAPH_BUDGET) return false;
    this.#size += 1 + parents.length;
    level.set(policy, { expected, parents: new Set(parents) });
    return true;
  }

  /** §6.1.3 (d)(1), (d)(2): the next depth, from one certificate's certificatePolicies. */
  addCertificatePolicies(policies: readonly string[], anyPolicyCounts: boolean): boolean {
    const previous = this.#levels[this.#levels.length - 1]!;
    // For each policy, the nodes one depth up whose expected_policy_set holds it.
    const expecting = new Map<string, string[]>();
    for (const [policy, node] of previous) {
      for (const expected of node.expected) {
        const parents = expecting.get(expected);
        if (parents === undefined) expecting.set(expected, [policy]);
        else parents.push(policy);
      }
    }
    const level: Level = new Map();
    this.#levels.push(level);
    for (const policy of policies) {
      if (policy === ANY_POLICY) continue;
      // (d)(1)(i) every node that expects the policy, else (ii) the anyPolicy node.
      const parents = expecting.get(policy) ?? (previous.has(ANY_POLICY) ? [ANY_POLICY] : []);
      if (parents.length > 0 && !this.#add(level, policy, parents, [policy])) return false;
    }
    if (anyPolicyCounts && policies.includes(ANY_POLICY)) {
      // (d)(2): anyPolicy continues every expected policy (anyPolicy included) that no
      // explicit policy continued.
      for (const [policy, parents] of expecting) {
        if (!level.has(policy) && !this.#add(level, policy, parents, [policy])) return false;
      }
    }
    return true;
  }

  /** §6.1.4 (b)(1), at the deepest level. */
  applyMappings(mapped: ReadonlyMap<string, readonly string[]>): boolean {
    const level = this.#levels[this.#levels.length - 1]!;
    for (const [issuerPolicy, subjectPolicies] of mapped) {
      const node = level.get(issuerPolicy);
      if (node !== undefined) node.expected = subjectPolicies;
      // Not asserted here but covered by anyPolicy: a new child of the anyPolicy node one depth
      // up (an anyPolicy node only ever has the anyPolicy node above it as parent).
      else if (level.has(ANY_POLICY)) {
        if (!this.#add(level, issuerPolicy, [ANY_POLICY], subjectPolicies)) return false;
      }
    }
    return true;
  }

  /** §6.1.4 (b)(2): mapping inhibited: delete the mapped policies' nodes, then prune. */
  removeMapped(issuerPolicies: Iterable<string>): void {
    const level = this.#levels[this.#levels.length - 1]!;
    for (const policy of issuerPolicies) level.delete(policy);
    this.prune(this.depth - 1);
  }

  /**
   * §6.1.3 (d)(3): delete every node at `fromDepth` or above that has no child, repeatedly. A
   * depth where nothing was deleted leaves every depth above it as it was.
   */
  prune(fromDepth: number): void {
    for (let depth = fromDepth; depth >= 0; depth--) {
      const referenced = new Set<string>();
      for (const child of this.#levels[depth + 1]!.values()) {
        for (const parent of child.parents) referenced.add(parent);
      }
      const level = this.#levels[depth]!;
      const before = level.size;
      for (const policy of level.keys()) if (!referenced.has(policy)) level.delete(policy);
      if (level.size === before) return;
    }
  }

  /**
   * RFC 9618 §6.1.5 (g)(2)-(4): the valid_policy of every node whose parent is the anyPolicy
   * node (where the path's policy domain starts, before any mapping), or only anyPolicy when
   * it survives at the deepest level. After the last certificate's pruning every node reaches
   * the deepest level, so each of these policies is valid for the whole path.
   */
  authorityConstrainedPolicySet(): Set<string> {
    // anyPolicy at depth n: every policy is valid for the path, and anyPolicy says so alone
    // (the other entries would add nothing; OpenSSL reports it the same way).
    if (this.#levels[this.#levels.length - 1]!.has(ANY_POLICY)) return new Set([ANY_POLICY]);
    const set = new Set<string>();
    for (const level of this.#levels.slice(1)) {
      for (const [policy, node] of level) {
        if (policy !== ANY_POLICY && node.parents.has(ANY_POLICY)) set.add(policy);
      }
    }
    return set;
  }
}

/** Dotted OIDs by arc value (2.5.29.9 before 2.5.29.32), then as text; duplicates dropped. */
function sortOids(oids: Iterable<string>): string[] {
  return [...new Set(oids)].sort(compareOids);
}

function compareOids(a: string, b: string): number {
  const left = a.split(".");
  const right = b.split(".");
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y) && x.length !== y.length) {
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length || (a < b ? -1 : a > b ? 1 : 0);
}
