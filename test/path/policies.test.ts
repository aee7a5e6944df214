// A19: certificate policy processing (RFC 5280 §6.1.2-§6.1.5, kept as RFC 9618's graph).
// Each case is a small chain built for it (the NIST PKITS 4.8-4.12 patterns in miniature, plus
// the corners PKITS does not reach), run through processPolicies with the four inputs, and
// compared with `openssl verify -policy_check` on the same chain. The vendored PKITS data for
// sections 4.8-4.12 runs too, and the public validateCertificatePath is exercised end to end.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import type { ParsedCertificate, RawExtension } from "../../src/x509/certificate.js";
import type { PathFailureCode } from "../../src/x509/path/failure.js";
import { PKITS_TESTS, runPkits } from "../../src/x509/path/pkits.js";
import {
  ANY_POLICY,
  POLICY_GRAPH_BUDGET,
  type PolicyOutcome,
  processPolicies,
} from "../../src/x509/path/policies.js";
import {
  decodeCertificatePolicies,
  decodeInhibitAnyPolicy,
  decodePolicyConstraints,
  decodePolicyMappings,
  policyExtensionsOf,
  SKIP_CERTS_CAP,
} from "../../src/x509/path/policy-extensions.js";
import type { PolicyInputs } from "../../src/x509/path/validator.js";
import { validateCertificatePath } from "../../src/x509/validate-path.js";
import {
  intermediate,
  leaf,
  NOW,
  opensslAvailable,
  type Rng,
  root,
  seededRng,
} from "../support/chains.js";
import {
  ANY,
  type ChainOptions,
  certificatePoliciesValue,
  inhibitAnyPolicyValue,
  integer,
  oid,
  opensslPolicyVerify,
  P1,
  P2,
  P3,
  P4,
  P5,
  P6,
  type PolicyChain,
  type PolicySpec,
  policyChain,
  policyConstraintsValue,
  policyMappingsValue,
  type ReferenceCertificate,
  referencePolicyTree,
  seq,
  tlv,
} from "../support/policy-chains.js";

const OPENSSL = opensslAvailable();

/** One run of a case: the four inputs and the expected policy set or failure code. */
interface Run {
  readonly inputs: PolicyInputs;
  readonly expect: readonly string[] | PathFailureCode;
  /** Why this run is not compared with OpenSSL. */
  readonly noOpenssl?: string;
  /** Why OpenSSL 3.0 reaches the opposite verdict (asserted, so a change there is noticed). */
  readonly opensslDiffers?: string;
}

interface Case {
  readonly name: string;
  readonly cas: readonly PolicySpec[];
  readonly leaf: PolicySpec;
  readonly options?: ChainOptions;
  readonly runs: readonly Run[];
}

const EXPLICIT = { initialExplicitPolicy: true } as const;

// A leading number names the NIST PKITS test whose pattern the case reproduces in miniature (the
// PKITS data itself runs further down); a leading § names the RFC 5280 step a case isolates.
const CASES: readonly Case[] = [
  // --- PKITS 4.8: certificate policies --------------------------------------------------------
  {
    name: "4.8.1 every certificate asserts the same policy",
    cas: [{ policies: [P1] }, { policies: [P1] }],
    leaf: { policies: [P1] },
    runs: [
      { inputs: {}, expect: [P1] },
      { inputs: { initialPolicySet: [P1] }, expect: [P1] },
      // Not acceptable to the caller, but no explicit policy is required: valid, empty set.
      { inputs: { initialPolicySet: [P2] }, expect: [] },
      { inputs: { initialPolicySet: [P2], ...EXPLICIT }, expect: "no-valid-policy" },
      { inputs: { initialPolicySet: [P1], ...EXPLICIT }, expect: [P1] },
    ],
  },
  {
    name: "4.8.2 no certificate asserts a policy (§6.1.3 (e): the tree is NULL)",
    cas: [{}],
    leaf: {},
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.8.3 the CA and the leaf assert different policies",
    cas: [{ policies: [P1] }],
    leaf: { policies: [P2] },
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.8.4 requireExplicitPolicy 0 in the CA, and a leaf policy nobody above issued",
    cas: [{ policies: [P1], requireExplicitPolicy: 0 }],
    leaf: { policies: [P2] },
    runs: [{ inputs: {}, expect: "no-valid-policy" }],
  },
  {
    name: "4.8.6 overlapping policies narrow to the common one",
    cas: [{ policies: [P1, P2] }, { policies: [P1] }],
    leaf: { policies: [P1, P2] },
    runs: [
      { inputs: {}, expect: [P1] },
      { inputs: { initialPolicySet: [P2] }, expect: [] },
      { inputs: { initialPolicySet: [P2], ...EXPLICIT }, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.8.7 the policy the leaf asserts was dropped one level up",
    cas: [{ policies: [P1, P2] }, { policies: [P1] }],
    leaf: { policies: [P2] },
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.8.10 the same two policies everywhere",
    cas: [{ policies: [P1, P2] }],
    leaf: { policies: [P2, P1] },
    runs: [
      { inputs: {}, expect: [P1, P2] },
      { inputs: { initialPolicySet: [P1] }, expect: [P1] },
      { inputs: { initialPolicySet: [P2] }, expect: [P2] },
      { inputs: { initialPolicySet: [P3], ...EXPLICIT }, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.8.11 anyPolicy everywhere",
    cas: [{ policies: [ANY] }, { policies: [ANY] }],
    leaf: { policies: [ANY] },
    runs: [
      { inputs: {}, expect: [ANY] },
      { inputs: EXPLICIT, expect: [ANY] },
      // §6.1.5 (g)(iii)(3): a surviving anyPolicy stands for each policy the caller names.
      { inputs: { initialPolicySet: [P1] }, expect: [P1] },
      { inputs: { initialPolicySet: [P2, P1], ...EXPLICIT }, expect: [P1, P2] },
    ],
  },
  {
    name: "4.8.11 anyPolicy and a named policy at depth n: anyPolicy alone is reported",
    cas: [{ policies: [ANY] }],
    leaf: { policies: [ANY, P1] },
    runs: [
      { inputs: {}, expect: [ANY] },
      { inputs: { initialPolicySet: [P2] }, expect: [P2] },
    ],
  },
  {
    name: "4.8.14 an anyPolicy CA above a leaf with a named policy (§6.1.3 (d)(1)(ii))",
    cas: [{ policies: [ANY] }],
    leaf: { policies: [P1] },
    runs: [
      { inputs: {}, expect: [P1] },
      { inputs: { initialPolicySet: [P1], ...EXPLICIT }, expect: [P1] },
      { inputs: { initialPolicySet: [P2], ...EXPLICIT }, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.8.15-4.8.20 policy qualifiers (CPS pointers) are ignored",
    cas: [
      {
        policies: [
          [P1, "https://ca.test/cps"],
          [ANY, "https://ca.test/any"],
        ],
      },
    ],
    leaf: { policies: [[P1, "https://leaf.test/cps"]] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },

  // --- PKITS 4.9: requireExplicitPolicy ------------------------------------------------------
  {
    name: "4.9.1 a requireExplicitPolicy skip count longer than the path",
    cas: [{ requireExplicitPolicy: 10 }, {}],
    leaf: {},
    runs: [{ inputs: {}, expect: [] }],
  },
  {
    name: "4.9.3 requireExplicitPolicy 1 reaches 0 above a leaf without policies",
    cas: [{ policies: [P1], requireExplicitPolicy: 1 }, { policies: [P1] }],
    leaf: {},
    runs: [{ inputs: {}, expect: "no-valid-policy" }],
  },
  {
    name: "4.9.4 requireExplicitPolicy 1 is met when the leaf asserts the policy",
    cas: [{ policies: [P1], requireExplicitPolicy: 1 }, { policies: [P1] }],
    leaf: { policies: [P1] },
    runs: [{ inputs: {}, expect: [P1] }],
  },
  {
    name: "4.9.5 requireExplicitPolicy 0 in a CA without policies",
    cas: [{ requireExplicitPolicy: 0 }],
    leaf: {},
    runs: [{ inputs: {}, expect: "no-valid-policy" }],
  },
  {
    name: "4.9.6 a self-issued CA does not use up requireExplicitPolicy (§6.1.4 (h))",
    cas: [{ requireExplicitPolicy: 2 }, { selfIssued: true }],
    leaf: {},
    runs: [{ inputs: {}, expect: [] }],
  },
  {
    name: "4.9.7 ... but the next CA that is not self-issued does",
    cas: [{ requireExplicitPolicy: 2 }, { selfIssued: true }, {}],
    leaf: {},
    runs: [{ inputs: {}, expect: "no-valid-policy" }],
  },
  {
    name: "4.9.8 a self-issued leaf still counts (§6.1.5 (a) decrements for certificate n)",
    cas: [{ requireExplicitPolicy: 1 }],
    leaf: {},
    options: { leafSelfIssued: true },
    runs: [
      {
        inputs: {},
        expect: "no-valid-policy",
        opensslDiffers:
          "OpenSSL skips the decrement for a self-issued certificate n as well (policy/pcy_tree.c)",
      },
    ],
  },
  {
    name: "§6.1.5 (b): the leaf's own requireExplicitPolicy 0",
    cas: [{ policies: [P1] }],
    leaf: { requireExplicitPolicy: 0 },
    runs: [{ inputs: {}, expect: "no-valid-policy" }],
  },
  {
    name: "§6.1.5 (b): the leaf's own requireExplicitPolicy 0, met",
    cas: [{ policies: [P1] }],
    leaf: { policies: [P1], requireExplicitPolicy: 0 },
    runs: [{ inputs: {}, expect: [P1] }],
  },
  {
    name: "§6.1.4 (i): a larger requireExplicitPolicy lower down does not raise the counter",
    cas: [
      { policies: [P1], requireExplicitPolicy: 0 },
      { policies: [P1], requireExplicitPolicy: 5 },
    ],
    leaf: {},
    runs: [{ inputs: {}, expect: "no-valid-policy" }],
  },

  // --- PKITS 4.10: policy mappings -----------------------------------------------------------
  {
    name: "4.10.1 P1 mapped to P2: the result is in the anchor's domain",
    cas: [{ policies: [P1], mappings: [[P1, P2]] }],
    leaf: { policies: [P2] },
    runs: [
      { inputs: {}, expect: [P1] },
      { inputs: { initialPolicySet: [P1], ...EXPLICIT }, expect: [P1] },
      { inputs: { initialPolicySet: [P2], ...EXPLICIT }, expect: "no-valid-policy" },
      // §6.1.4 (b)(2): with mapping inhibited the mapped policy ends at the CA.
      { inputs: { initialPolicyMappingInhibit: true }, expect: [] },
      {
        inputs: { initialPolicyMappingInhibit: true, ...EXPLICIT },
        expect: "no-valid-policy",
      },
    ],
  },
  {
    name: "4.10.2 after a mapping the original policy no longer matches",
    cas: [{ policies: [P1], mappings: [[P1, P2]], requireExplicitPolicy: 0 }],
    leaf: { policies: [P1] },
    runs: [{ inputs: {}, expect: "no-valid-policy" }],
  },
  {
    name: "4.10.3 two issuer policies reach one subject policy",
    cas: [{ policies: [P1, P2], mappings: [[P2, P1]] }, { policies: [P1] }],
    leaf: { policies: [P1] },
    runs: [
      { inputs: {}, expect: [P1, P2] },
      { inputs: { initialPolicySet: [P2], ...EXPLICIT }, expect: [P2] },
    ],
  },
  {
    name: "4.10.5 a mapped policy covered by anyPolicy (§6.1.4 (b)(1), second sentence)",
    cas: [{ policies: [ANY], mappings: [[P1, P6]] }],
    leaf: { policies: [P6] },
    runs: [
      { inputs: {}, expect: [P1] },
      { inputs: { initialPolicySet: [P1], ...EXPLICIT }, expect: [P1] },
      { inputs: { initialPolicySet: [P6], ...EXPLICIT }, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.10.9 one issuer policy mapped to two",
    cas: [
      {
        policies: [P1],
        mappings: [
          [P1, P2],
          [P1, P3],
        ],
      },
    ],
    leaf: { policies: [P3] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },
  {
    name: "mappings at two levels chain up: P1 → P2 → P3",
    cas: [
      { policies: [P1], mappings: [[P1, P2]] },
      { policies: [P2], mappings: [[P2, P3]] },
    ],
    leaf: { policies: [P3] },
    runs: [
      { inputs: EXPLICIT, expect: [P1] },
      { inputs: { initialPolicySet: [P3], ...EXPLICIT }, expect: "no-valid-policy" },
      { inputs: { initialPolicyMappingInhibit: true, ...EXPLICIT }, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.10.7 mapping from anyPolicy (§6.1.4 (a))",
    cas: [{ policies: [P1], mappings: [[ANY, P1]] }],
    leaf: { policies: [P1] },
    runs: [{ inputs: {}, expect: "bad-policy-mapping" }],
  },
  {
    name: "4.10.8 mapping to anyPolicy (§6.1.4 (a))",
    cas: [{ policies: [P1], mappings: [[P1, ANY]] }],
    leaf: { policies: [P1] },
    runs: [{ inputs: {}, expect: "bad-policy-mapping" }],
  },
  {
    name: "a leaf that maps to anyPolicy is rejected too (§4.2.1.5)",
    cas: [{ policies: [P1] }],
    leaf: { policies: [P1], mappings: [[P1, ANY]] },
    runs: [{ inputs: {}, expect: "bad-policy-mapping" }],
  },
  {
    name: "a leaf's own policyMappings is not applied (§6.1.4 is for certificates 1..n-1)",
    cas: [{ policies: [P1] }],
    leaf: { policies: [P1], mappings: [[P1, P2]] },
    runs: [
      { inputs: EXPLICIT, expect: [P1] },
      {
        // §6.1.4 (b)(2) deletes mapped policies at depth i < n only.
        inputs: { initialPolicyMappingInhibit: true, ...EXPLICIT },
        expect: [P1],
        opensslDiffers:
          "OpenSSL applies the leaf's policyMappings too, and with mapping inhibited deletes P1 at depth n",
      },
    ],
  },
  {
    name: "a leaf's mapping through its anyPolicy creates nothing either",
    cas: [{ policies: [P2] }],
    leaf: { policies: [ANY], mappings: [[P2, P1]] },
    runs: [
      { inputs: EXPLICIT, expect: [P2] },
      {
        inputs: { initialAnyPolicyInhibit: true, ...EXPLICIT },
        expect: "no-valid-policy",
        opensslDiffers:
          "OpenSSL turns the leaf's mapping of P2 into a P2 node through anyPolicy, inhibited or not",
      },
    ],
  },
  {
    name: "§6.1.4 (b)(1): a mapping through anyPolicy needs the anyPolicy node, which inhibition removed",
    cas: [{ policies: [ANY], mappings: [[P1, P2]] }],
    leaf: { policies: [P2] },
    runs: [
      { inputs: EXPLICIT, expect: [P1] },
      {
        inputs: { initialAnyPolicyInhibit: true, ...EXPLICIT },
        expect: "no-valid-policy",
        opensslDiffers:
          "OpenSSL creates the mapped P1 node (POLICY_DATA_FLAG_MAPPED_ANY) although the CA's anyPolicy does not count",
      },
    ],
  },

  // --- PKITS 4.11: inhibitPolicyMapping ------------------------------------------------------
  {
    name: "4.11.1 inhibitPolicyMapping 0 stops the next CA's mapping",
    cas: [
      { policies: [P1], inhibitPolicyMapping: 0 },
      { policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.11.2 inhibitPolicyMapping 1 allows the next CA's mapping",
    cas: [
      { policies: [P1], inhibitPolicyMapping: 1 },
      { policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },
  {
    name: "4.11.3 ... but not the one after it",
    cas: [
      { policies: [P1], inhibitPolicyMapping: 1 },
      { policies: [P1] },
      { policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.11.5 a self-issued CA does not use up inhibitPolicyMapping",
    cas: [
      { policies: [P1], inhibitPolicyMapping: 1 },
      { policies: [P1], selfIssued: true },
      { policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },
  {
    name: "§6.1.4 (b): mapping under anyPolicy, allowed: the leaf's P2 is P1 for the anchor",
    cas: [{ policies: [ANY] }, { policies: [ANY], mappings: [[P1, P2]] }],
    leaf: { policies: [P2] },
    runs: [
      { inputs: EXPLICIT, expect: [P1] },
      // Inhibited: no P1 node to delete; P2 then matches through anyPolicy as itself.
      { inputs: { initialPolicyMappingInhibit: true, ...EXPLICIT }, expect: [P2] },
    ],
  },
  {
    name: "policy_mapping counts down with the path (initial input and skip counts together)",
    cas: [
      { policies: [P1], inhibitPolicyMapping: 2, requireExplicitPolicy: 3 },
      { policies: [P1] },
      { policies: [P1], mappings: [[P1, P2]] },
    ],
    leaf: { policies: [P2] },
    runs: [
      { inputs: {}, expect: [P1] },
      { inputs: { initialPolicyMappingInhibit: true }, expect: "no-valid-policy" },
    ],
  },

  // --- PKITS 4.12: inhibitAnyPolicy ----------------------------------------------------------
  {
    name: "4.12.1 inhibitAnyPolicy 0: the next CA's anyPolicy does not count",
    cas: [{ policies: [ANY], inhibitAnyPolicy: 0 }, { policies: [ANY] }],
    leaf: { policies: [P1] },
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.12.2 inhibitAnyPolicy 0: a named policy still matches the anyPolicy node above",
    cas: [{ policies: [ANY], inhibitAnyPolicy: 0 }, { policies: [P1] }],
    leaf: { policies: [P1] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },
  {
    name: "4.12.3 inhibitAnyPolicy 1: the next CA's anyPolicy counts, the leaf's does not",
    cas: [{ policies: [ANY], inhibitAnyPolicy: 1 }, { policies: [ANY] }],
    leaf: { policies: [ANY] },
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.12.4 inhibitAnyPolicy 1 above a leaf with a named policy",
    cas: [{ policies: [ANY], inhibitAnyPolicy: 1 }, { policies: [ANY] }],
    leaf: { policies: [P1] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },
  {
    name: "4.12.7 a self-issued CA's anyPolicy counts even when inhibited (§6.1.3 (d)(2))",
    cas: [
      { policies: [ANY], inhibitAnyPolicy: 0 },
      { policies: [ANY], selfIssued: true },
    ],
    leaf: { policies: [P1] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },
  {
    name: "4.12.8 ... but not a self-issued leaf's (i < n)",
    cas: [{ policies: [ANY], inhibitAnyPolicy: 0 }],
    leaf: { policies: [ANY] },
    options: { leafSelfIssued: true },
    runs: [
      { inputs: {}, expect: [] },
      { inputs: EXPLICIT, expect: "no-valid-policy" },
    ],
  },
  {
    name: "4.12.9 a self-issued CA does not use up inhibitAnyPolicy",
    cas: [
      { policies: [ANY], inhibitAnyPolicy: 1 },
      { policies: [ANY], selfIssued: true },
      { policies: [ANY] },
    ],
    leaf: { policies: [P1] },
    runs: [{ inputs: EXPLICIT, expect: [P1] }],
  },
  {
    name: "4.12.10 ... and the CA after that anyPolicy one finds it inhibited",
    cas: [
      { policies: [ANY], inhibitAnyPolicy: 1 },
      { policies: [ANY], selfIssued: true },
      { policies: [ANY] },
      { policies: [ANY] },
    ],
    leaf: { policies: [P1] },
    runs: [{ inputs: EXPLICIT, expect: "no-valid-policy" }],
  },
  {
    name: "initial-any-policy-inhibit: anyPolicy never counts",
    cas: [{ policies: [ANY] }],
    leaf: { policies: [ANY] },
    runs: [
      { inputs: {}, expect: [ANY] },
      { inputs: { initialAnyPolicyInhibit: true }, expect: [] },
      { inputs: { initialAnyPolicyInhibit: true, ...EXPLICIT }, expect: "no-valid-policy" },
    ],
  },

  // --- §6.1.5 (g): the caller's set ----------------------------------------------------------
  {
    name: "§6.1.5 (g): user-initial-policy-set narrows the authority set",
    cas: [{ policies: [P1, P2, P3] }],
    leaf: { policies: [P1, P2] },
    runs: [
      { inputs: {}, expect: [P1, P2] },
      { inputs: { initialPolicySet: [P2, P3] }, expect: [P2] },
      { inputs: { initialPolicySet: [P3] }, expect: [] },
      { inputs: { initialPolicySet: [P3], ...EXPLICIT }, expect: "no-valid-policy" },
      // A caller's set that contains anyPolicy is any-policy.
      { inputs: { initialPolicySet: [P4, ANY] }, expect: [P1, P2] },
      {
        inputs: { initialPolicySet: [] },
        expect: [],
        noOpenssl: "openssl verify cannot express an empty policy set",
      },
      {
        inputs: { initialPolicySet: [], ...EXPLICIT },
        expect: "no-valid-policy",
        noOpenssl: "openssl verify cannot express an empty policy set",
      },
    ],
  },
  {
    name: "the trust anchor's own policy extensions are not processed (§6.1)",
    cas: [{ policies: [ANY] }],
    leaf: { policies: [P5] },
    options: {
      anchor: {
        requireExplicitPolicy: 0,
        inhibitPolicyMapping: 0,
        inhibitAnyPolicy: 0,
        policies: [P6],
      },
    },
    runs: [
      { inputs: {}, expect: [P5] },
      { inputs: EXPLICIT, expect: [P5] },
    ],
  },
  {
    name: "the trust anchor's malformed policy extension is not read",
    cas: [{ policies: [P1] }],
    leaf: { policies: [P1] },
    options: {
      anchor: { raw: [{ oid: "2.5.29.36", value: seq() }] },
    },
    runs: [{ inputs: {}, expect: [P1] }],
  },
];

const chains = new Map<string, Promise<PolicyChain>>();
function chainFor(testCase: Case, index: number): Promise<PolicyChain> {
  let chain = chains.get(testCase.name);
  if (chain === undefined) {
    chain = policyChain(`P${index}`, testCase.cas, testCase.leaf, testCase.options);
    chains.set(testCase.name, chain);
  }
  return chain;
}

function describeInputs(inputs: PolicyInputs): string {
  const parts: string[] = [];
  if (inputs.initialPolicySet !== undefined) {
    const names = inputs.initialPolicySet.map((policy) =>
      policy === ANY ? "any" : `P${policy.split(".").at(-1)}`,
    );
    parts.push(`set {${names.join(", ")}}`);
  }
  if (inputs.initialExplicitPolicy === true) parts.push("explicit");
  if (inputs.initialPolicyMappingInhibit === true) parts.push("inhibit-map");
  if (inputs.initialAnyPolicyInhibit === true) parts.push("inhibit-any");
  return parts.length === 0 ? "defaults" : parts.join(", ");
}

function expectOutcome(outcome: PolicyOutcome, expected: Run["expect"]): void {
  if (typeof expected === "string") {
    expect(outcome.ok ? outcome.policies : outcome.failure.code).toBe(expected);
  } else {
    expect(outcome.ok ? outcome.policies : outcome.failure).toEqual(expected);
  }
}

const RUNS = CASES.flatMap((testCase, index) =>
  testCase.runs.map((run) => ({ testCase, index, run, label: describeInputs(run.inputs) })),
);

describe("A19: policy processing, case by case", () => {
  it.each(RUNS)("$testCase.name ($label)", async ({ testCase, index, run }) => {
    const chain = await chainFor(testCase, index);
    expectOutcome(processPolicies(chain.path, run.inputs), run.expect);
  });
});

describe("A19: the same runs through validateCertificatePath (the validator's call site)", () => {
  it.each(RUNS)("$testCase.name ($label)", async ({ testCase, index, run }) => {
    const chain = await chainFor(testCase, index);
    const result = await validateCertificatePath({
      certificate: chain.leaf.der,
      trustAnchors: [chain.anchor.der],
      intermediates: chain.intermediates.map((certificate) => certificate.der),
      now: NOW,
      ...run.inputs,
    });
    if (typeof run.expect === "string") {
      expect(result).toMatchObject({ status: "invalid", reason: { code: run.expect } });
    } else {
      expect(result).toMatchObject({ status: "valid", policies: run.expect });
      if (result.status === "valid") expect(result.path).toHaveLength(chain.path.length);
    }
  });
});

/** OpenSSL's words for our failure codes (X509_V_ERR_NO_EXPLICIT_POLICY, _INVALID_POLICY_EXTENSION). */
const OPENSSL_ERROR: Partial<Record<PathFailureCode, RegExp>> = {
  "no-valid-policy": /no explicit policy/,
  "bad-policy-mapping": /invalid or inconsistent certificate policy extension/,
  "bad-extension": /invalid or inconsistent certificate policy extension/,
};

describe.skipIf(!OPENSSL)("A19: the same chains through openssl verify -policy_check", () => {
  const compared = RUNS.filter(({ run }) => run.noOpenssl === undefined);
  it.each(compared)("$testCase.name ($label)", async ({ testCase, index, run }) => {
    const chain = await chainFor(testCase, index);
    if (run.opensslDiffers !== undefined) {
      const verdict = opensslPolicyVerify(chain, run.inputs);
      expect(verdict.ok, verdict.output).toBe(typeof run.expect === "string");
      return;
    }
    expectOpensslAgrees(chain, run.inputs, run.expect);
  });
});

/** OpenSSL reaches the same verdict, failure kind and policy set. */
function expectOpensslAgrees(
  chain: PolicyChain,
  inputs: PolicyInputs,
  expected: Run["expect"],
  context = "",
): void {
  const verdict = opensslPolicyVerify(chain, inputs);
  const output = `${context}\n${verdict.output}`;
  if (typeof expected === "string") {
    expect(verdict.ok, output).toBe(false);
    expect(verdict.errors.join("\n"), output).toMatch(OPENSSL_ERROR[expected]!);
    return;
  }
  expect(verdict.ok, output).toBe(true);
  // -policy_print's "User Policies" is the intersection with -policy; with -policy anyPolicy
  // OpenSSL leaves it empty and the authority set is the answer.
  const named = inputs.initialPolicySet?.includes(ANY) === false;
  const printed = named ? verdict.userPolicies : verdict.authorityPolicies;
  expect([...(printed ?? [])].sort(), output).toEqual([...expected].sort());
}

// --- malformed extensions --------------------------------------------------------------------

const CP = "2.5.29.32";
const PM = "2.5.29.33";
const PC = "2.5.29.36";
const IAP = "2.5.29.54";

const MALFORMED: readonly { name: string; oid: string; value: Uint8Array }[] = [
  { name: "empty certificatePolicies (SIZE 1..MAX)", oid: CP, value: seq() },
  {
    name: "a policy listed twice (§4.2.1.4)",
    oid: CP,
    value: certificatePoliciesValue([P1, P2, P1]),
  },
  { name: "PolicyInformation that is not a SEQUENCE", oid: CP, value: seq(oid(P1)) },
  { name: "PolicyInformation without an OID", oid: CP, value: seq(seq()) },
  { name: "an empty policyQualifiers list", oid: CP, value: seq(seq(oid(P1), seq())) },
  {
    name: "a qualifier without its value",
    oid: CP,
    value: seq(seq(oid(P1), seq(seq(oid("1.3.6.1.5.5.7.2.1"))))),
  },
  {
    name: "trailing bytes after certificatePolicies",
    oid: CP,
    value: Uint8Array.from([...certificatePoliciesValue([P1]), 0x00]),
  },
  {
    name: "a policy OID with a non-minimal arc",
    oid: CP,
    value: seq(seq(tlv(0x06, Uint8Array.from([0x55, 0x1d, 0x80, 0x20])))),
  },
  {
    name: "a truncated policy OID",
    oid: CP,
    value: seq(seq(tlv(0x06, Uint8Array.from([0x55, 0x1d, 0xa0])))),
  },
  { name: "empty policyMappings (SIZE 1..MAX)", oid: PM, value: seq() },
  { name: "a mapping with one OID", oid: PM, value: seq(seq(oid(P1))) },
  { name: "a mapping with three OIDs", oid: PM, value: seq(seq(oid(P1), oid(P2), oid(P3))) },
  { name: "policyConstraints with neither field (§4.2.1.11)", oid: PC, value: seq() },
  {
    name: "policyConstraints fields out of order",
    oid: PC,
    value: seq(integer(1, 0x81), integer(1, 0x80)),
  },
  {
    name: "policyConstraints with a field twice",
    oid: PC,
    value: seq(integer(1, 0x80), integer(2, 0x80)),
  },
  { name: "policyConstraints with an unknown field", oid: PC, value: seq(integer(1, 0x82)) },
  { name: "policyConstraints with an untagged INTEGER", oid: PC, value: seq(integer(1)) },
  {
    name: "a negative SkipCerts",
    oid: PC,
    value: seq(tlv(0x80, Uint8Array.from([0xff]))),
  },
  {
    name: "a non-minimal SkipCerts",
    oid: PC,
    value: seq(tlv(0x80, Uint8Array.from([0x00, 0x01]))),
  },
  { name: "an empty SkipCerts", oid: PC, value: seq(tlv(0x80, new Uint8Array())) },
  { name: "a negative inhibitAnyPolicy", oid: IAP, value: tlv(0x02, Uint8Array.from([0x80])) },
  {
    name: "inhibitAnyPolicy that is not an INTEGER",
    oid: IAP,
    value: tlv(0x04, Uint8Array.from([1])),
  },
  { name: "inhibitAnyPolicy with trailing bytes", oid: IAP, value: Uint8Array.from([2, 1, 1, 0]) },
  { name: "a truncated extension value", oid: IAP, value: Uint8Array.from([2, 5, 1]) },
];

/** A CA with anyPolicy and the malformed value (which replaces certificatePolicies itself). */
function malformedCa(extension: string, value: Uint8Array): PolicySpec {
  return {
    ...(extension === CP ? {} : { policies: [ANY] }),
    raw: [{ oid: extension, value }],
  };
}

describe("A19: a malformed policy extension rejects the certificate (bad-extension)", () => {
  it.each(MALFORMED)("in an intermediate: $name", async ({ name, oid: extension, value }) => {
    const chain = await policyChain(`M-${name}`, [malformedCa(extension, value)], {
      policies: [P1],
    });
    const outcome = processPolicies(chain.path, {});
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.failure).toMatchObject({
        code: "bad-extension",
        oid: extension,
        certificate: chain.intermediates[0]!.thumbprint,
      });
    }
  });

  it.each(MALFORMED.slice(0, 3))(
    "in the leaf too: $name",
    async ({ name, oid: extension, value }) => {
      const chain = await policyChain(`ML-${name}`, [{ policies: [ANY] }], {
        raw: [{ oid: extension, value }],
      });
      const outcome = processPolicies(chain.path, {});
      expect(outcome.ok ? outcome.policies : outcome.failure).toMatchObject({
        code: "bad-extension",
        oid: extension,
        certificate: chain.leaf.thumbprint,
      });
    },
  );

  // OpenSSL marks these certificates EXFLAG_INVALID_POLICY ("invalid or inconsistent
  // certificate policy extension") too. It reads past the other shapes (an empty
  // certificatePolicies is a NULL tree there), or never decodes them; we follow the ASN.1.
  const agreed = MALFORMED.filter(({ name }) =>
    [
      "a policy listed twice (§4.2.1.4)",
      "empty policyMappings (SIZE 1..MAX)",
      "policyConstraints with neither field (§4.2.1.11)",
    ].includes(name),
  );
  it.skipIf(!OPENSSL).each(agreed)(
    "openssl rejects it too: $name",
    async ({ name, oid: extension, value }) => {
      const chain = await policyChain(`MO-${name}`, [malformedCa(extension, value)], {
        policies: [P1],
      });
      const verdict = opensslPolicyVerify(chain);
      expect(verdict.ok, verdict.output).toBe(false);
      expect(verdict.errors.join("\n")).toMatch(OPENSSL_ERROR["bad-extension"]!);
    },
  );
});

describe("A19: the decoders read what the RFC 5280 ASN.1 says", () => {
  it("certificatePolicies: OIDs in certificate order, qualifiers skipped", () => {
    expect(
      decodeCertificatePolicies(certificatePoliciesValue([P2, [ANY, "https://x.test/cps"], P1])),
    ).toEqual([P2, ANY, P1]);
  });

  it("OIDs of any size come back exact", () => {
    const big = "2.999.18446744073709551617.0.1";
    const bigFirst = "2.18446744073709551617.5";
    expect(
      decodeCertificatePolicies(certificatePoliciesValue([big, "1.2.3", bigFirst, "0.39.1"])),
    ).toEqual([big, "1.2.3", bigFirst, "0.39.1"]);
  });

  it("policyMappings: each pair, duplicates kept as written", () => {
    expect(
      decodePolicyMappings(
        policyMappingsValue([
          [P1, P2],
          [P1, P3],
          [P1, P2],
        ]),
      ),
    ).toEqual([
      { issuerDomainPolicy: P1, subjectDomainPolicy: P2 },
      { issuerDomainPolicy: P1, subjectDomainPolicy: P3 },
      { issuerDomainPolicy: P1, subjectDomainPolicy: P2 },
    ]);
  });

  it("policyConstraints: either field alone, or both", () => {
    expect(decodePolicyConstraints(policyConstraintsValue({ requireExplicitPolicy: 0 }))).toEqual({
      requireExplicitPolicy: 0,
      inhibitPolicyMapping: undefined,
    });
    expect(decodePolicyConstraints(policyConstraintsValue({ inhibitPolicyMapping: 3 }))).toEqual({
      requireExplicitPolicy: undefined,
      inhibitPolicyMapping: 3,
    });
    expect(
      decodePolicyConstraints(
        policyConstraintsValue({ requireExplicitPolicy: 128, inhibitPolicyMapping: 255 }),
      ),
    ).toEqual({ requireExplicitPolicy: 128, inhibitPolicyMapping: 255 });
  });

  it("each certificate is decoded once (the validator calls processPolicies per complete path)", async () => {
    const chain = await policyChain("ONCE", [{ policies: [P1] }], { policies: [P1] });
    const first = policyExtensionsOf(chain.leaf);
    expect(policyExtensionsOf(chain.leaf)).toBe(first);
    expect(first).toEqual({
      ok: true,
      value: {
        policies: [P1],
        mappings: undefined,
        requireExplicitPolicy: undefined,
        inhibitPolicyMapping: undefined,
        inhibitAnyPolicy: undefined,
      },
    });
  });

  it("SkipCerts beyond any path length reads as the cap", () => {
    expect(decodeInhibitAnyPolicy(integer(2 ** 40))).toBe(SKIP_CERTS_CAP);
    expect(decodeInhibitAnyPolicy(integer(SKIP_CERTS_CAP - 1))).toBe(SKIP_CERTS_CAP - 1);
    expect(decodeInhibitAnyPolicy(integer(0))).toBe(0);
  });

  it.each(MALFORMED)(
    "throws on $name (processPolicies turns it into a value)",
    ({ oid: extension, value }) => {
      const decode = {
        [CP]: decodeCertificatePolicies,
        [PM]: decodePolicyMappings,
        [PC]: decodePolicyConstraints,
        [IAP]: decodeInhibitAnyPolicy,
      }[extension]!;
      expect(() => decode(value)).toThrow();
    },
  );
});

// --- bounded work ----------------------------------------------------------------------------

/** k policies, 2.16.840.1.101.3.2.1.99.1 … k. */
const manyPolicies = (k: number): string[] =>
  Array.from({ length: k }, (_, i) => `2.16.840.1.101.3.2.1.99.${i + 1}`);

/** Every policy mapped to every policy: k² pairs, the tree-explosion pattern. */
const everyToEvery = (policies: readonly string[]): [string, string][] =>
  policies.flatMap((from) => policies.map((to): [string, string] => [from, to]));

describe("A19: the work is bounded (policy-tree-too-large)", () => {
  it("the tree-explosion chain stays small as a graph: 8 policies × 64 mappings × 7 CAs", async () => {
    const policies = manyPolicies(8);
    const ca: PolicySpec = { policies, mappings: everyToEvery(policies) };
    const chain = await policyChain("EXPLODE8", [ca, ca, ca, ca, ca, ca, ca], {
      policies: [policies[0]!],
    });
    // As an RFC 5280 tree this is 8^8 (about 16.8 million) leaves, which no machine builds in a
    // second; the graph holds 8 nodes and 64 links per depth. (Wall-clock bounds are loose: the
    // test machine is shared.)
    const started = performance.now();
    const outcome = processPolicies(chain.path, EXPLICIT);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(outcome).toEqual({ ok: true, policies: [...policies].sort(compareArcs) });
  });

  it.skipIf(!OPENSSL)(
    "... which OpenSSL rejects: its RFC 5280 tree is capped at 1,000 nodes (CVE-2023-0464)",
    async () => {
      const policies = manyPolicies(8);
      const ca: PolicySpec = { policies, mappings: everyToEvery(policies) };
      const chain = await policyChain("EXPLODE8O", [ca, ca, ca, ca, ca], {
        policies: [policies[0]!],
      });
      const verdict = opensslPolicyVerify(chain);
      expect(verdict.ok, verdict.output).toBe(false);
    },
  );

  it("50 policies mapped every-to-every: stops at the budget, at the depth that passes it", async () => {
    const policies = manyPolicies(50);
    const ca: PolicySpec = { policies, mappings: everyToEvery(policies) };
    const chain = await policyChain("EXPLODE50", [ca, ca, ca, ca], { policies });
    const started = performance.now();
    const outcome = processPolicies(chain.path, {});
    // Most of this is decoding 10,000 mapping pairs once; the graph stops at the budget.
    expect(performance.now() - started).toBeLessThan(2_000);
    // Depth 1: 50 nodes + 50 links; depths 2-4: 50 nodes + 2,500 links each (7,750 in all);
    // depth 5 (the leaf) would bring it to 10,300.
    expect(outcome.ok ? outcome.policies : outcome.failure).toMatchObject({
      code: "policy-tree-too-large",
      budget: POLICY_GRAPH_BUDGET,
      depth: 5,
      certificate: chain.leaf.thumbprint,
    });
  });

  it("the budget counts nodes and parent links exactly: 4,999 policies fit, 5,000 do not", async () => {
    // Directly under the anchor each policy is one node and one link to the anyPolicy root.
    const fits = await policyChain("WIDE4999", [], { policies: manyPolicies(4_999) });
    const over = await policyChain("WIDE5000", [], { policies: manyPolicies(5_000) });
    const fitted = processPolicies(fits.path, {});
    expect(fitted.ok && fitted.policies.length).toBe(4_999);
    expect(processPolicies(over.path, {})).toMatchObject({
      ok: false,
      failure: { code: "policy-tree-too-large", depth: 1 },
    });
  });
});

function compareArcs(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

// --- n = 0, output form ----------------------------------------------------------------------

describe("A19: edges of the contract", () => {
  it("a directly trusted leaf (path [anchor], n = 0) has the caller's set, anyPolicy by default", async () => {
    const chain = await policyChain("N0", [{ policies: [P1] }], { policies: [P1] });
    const path: readonly ParsedCertificate[] = [chain.anchor];
    expect(processPolicies(path, {})).toEqual({ ok: true, policies: [ANY_POLICY] });
    expect(processPolicies(path, { initialPolicySet: [P2, P1] })).toEqual({
      ok: true,
      policies: [P1, P2],
    });
    expect(processPolicies(path, { ...EXPLICIT, initialAnyPolicyInhibit: true })).toEqual({
      ok: true,
      policies: [ANY_POLICY],
    });
  });

  it("policies are sorted by arc value and deduplicated", async () => {
    const chain = await policyChain("SORT", [{ policies: [ANY] }], {
      policies: ["1.2.10", "1.2.9", "1.10.1"],
    });
    expect(processPolicies(chain.path, {})).toEqual({
      ok: true,
      policies: ["1.2.9", "1.2.10", "1.10.1"],
    });
    expect(processPolicies(chain.path, { initialPolicySet: ["1.2.9", "1.2.9"] })).toEqual({
      ok: true,
      policies: ["1.2.9"],
    });
  });

  it("a failure names the certificate and the depth where no policy was left", async () => {
    const chain = await policyChain(
      "WHERE",
      [{ policies: [P1], requireExplicitPolicy: 0 }, { policies: [P2] }],
      {
        policies: [P2],
      },
    );
    expect(processPolicies(chain.path, {})).toMatchObject({
      ok: false,
      failure: {
        code: "no-valid-policy",
        depth: 2,
        certificate: chain.intermediates[1]!.thumbprint,
      },
    });
  });
});

// --- NIST PKITS 4.8-4.12 (vendored) ----------------------------------------------------------

const PKITS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "conformance", "pkits");

describe.skipIf(!existsSync(join(PKITS_DIR, "certs")))("A19: NIST PKITS 4.8-4.12", () => {
  it("every policy test passes, with its user-constrained-policy-set", async () => {
    const read = (path: string) =>
      existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
    const files = {
      certificate: (name: string) => read(join(PKITS_DIR, "certs", `${name}.crt`)),
      crl: (name: string) => read(join(PKITS_DIR, "crls", `${name}.crl`)),
    };
    const tests = PKITS_TESTS.filter((test) => /^4\.(8|9|10|11|12)\./.test(test.id));
    expect(tests.length).toBeGreaterThan(80);
    const results = await runPkits(files, { expectedFailures: {} }, tests);
    const notPassed = results
      .filter((result) => result.outcome !== "passed" || result.acceptedInvalid)
      .map((result) => `${result.key} ${result.testcase.name}: ${result.detail}`);
    expect(notPassed).toEqual([]);
  });
});

// --- through the public validator ------------------------------------------------------------

describe("A19: validateCertificatePath passes the inputs and reports the set", () => {
  const validate = (chain: PolicyChain, inputs: PolicyInputs = {}) =>
    validateCertificatePath({
      certificate: chain.leaf.der,
      trustAnchors: [chain.anchor.der],
      intermediates: chain.intermediates.map((certificate) => certificate.der),
      now: NOW,
      ...inputs,
    });

  it("a mapped chain: the anchor-domain policy, and each input changes the outcome", async () => {
    const chain = await policyChain(
      "API1",
      [{ policies: [ANY] }, { policies: [ANY], mappings: [[P1, P2]] }],
      { policies: [P2] },
    );
    expect(await validate(chain)).toMatchObject({ status: "valid", policies: [P1] });
    expect(
      await validate(chain, { initialPolicySet: [P2], initialExplicitPolicy: true }),
    ).toMatchObject({
      status: "invalid",
      reason: { code: "no-valid-policy" },
    });
    expect(
      await validate(chain, { initialPolicyMappingInhibit: true, initialPolicySet: [P2] }),
    ).toMatchObject({ status: "valid", policies: [P2] });
    expect(await validate(chain, { initialAnyPolicyInhibit: true })).toMatchObject({
      status: "valid",
      policies: [],
    });
    expect(
      await validate(chain, { initialAnyPolicyInhibit: true, initialExplicitPolicy: true }),
    ).toMatchObject({ status: "invalid", reason: { code: "no-valid-policy" } });
  });

  it("a chain without policy extensions is valid with an empty set (RFC 5280: NULL tree)", async () => {
    const chain = await policyChain("API2", [{}], {});
    expect(await validate(chain)).toMatchObject({ status: "valid", policies: [] });
  });

  it("policy failures are path failures: bad mapping, malformed extension, too large", async () => {
    const mapped = await policyChain("API3", [{ policies: [P1], mappings: [[P1, ANY]] }], {
      policies: [P1],
    });
    expect(await validate(mapped)).toMatchObject({
      status: "invalid",
      reason: { code: "bad-policy-mapping", certificate: mapped.intermediates[0]!.thumbprint },
    });
    const malformed = await policyChain("API4", [{ raw: [{ oid: CP, value: seq() }] }], {});
    expect(await validate(malformed)).toMatchObject({
      status: "invalid",
      reason: { code: "bad-extension", oid: CP },
    });
    const wide = await policyChain("API5", [], { policies: manyPolicies(5_000) });
    expect(await validate(wide)).toMatchObject({
      status: "invalid",
      reason: { code: "policy-tree-too-large" },
    });
  });

  it("critical policy extensions are processed, not rejected as unknown (RFC 5280 §4.2; checks.ts lists them)", async () => {
    const chain = await policyChain(
      "API6",
      [{ policies: [P1], requireExplicitPolicy: 0, inhibitPolicyMapping: 0, inhibitAnyPolicy: 0 }],
      { policies: [P1] },
      { critical: true },
    );
    expect(await validate(chain)).toMatchObject({ status: "valid", policies: [P1] });
  });

  it("a policy failure on one path does not hide another path that satisfies the policy", async () => {
    // Two certificates for the same CA name and key: one asserts P1, the other P2.
    const anchorNode = { name: "ALT Root", key: "p256-1" as const };
    const caNode = { name: "ALT CA", key: "p256-2" as const };
    const anchor = await root(anchorNode);
    const withP1 = await intermediate(caNode, anchorNode, {
      extraExtensions: [{ oid: CP, critical: false, value: certificatePoliciesValue([P1]) }],
    });
    const withP2 = await intermediate(caNode, anchorNode, {
      extraExtensions: [{ oid: CP, critical: false, value: certificatePoliciesValue([P2]) }],
    });
    const end = await leaf({ name: "alt.leaf.test", key: "p256-6" }, caNode, {
      extraExtensions: [{ oid: CP, critical: false, value: certificatePoliciesValue([P2]) }],
    });
    for (const intermediates of [
      [withP1, withP2],
      [withP2, withP1],
    ]) {
      const result = await validateCertificatePath({
        certificate: end.der,
        trustAnchors: [anchor.der],
        intermediates: intermediates.map((certificate) => certificate.der),
        now: NOW,
        initialExplicitPolicy: true,
      });
      expect(result).toMatchObject({ status: "valid", policies: [P2] });
      if (result.status === "valid") {
        expect(new Uint8Array(result.path[1]!.rawData)).toEqual(withP2.der);
      }
    }
    const onlyP1 = await validateCertificatePath({
      certificate: end.der,
      trustAnchors: [anchor.der],
      intermediates: [withP1.der],
      now: NOW,
      initialExplicitPolicy: true,
    });
    expect(onlyP1).toMatchObject({ status: "invalid", reason: { code: "no-valid-policy" } });
  });
});

// --- random paths: the graph against a literal RFC 5280 tree, and against OpenSSL -------------

const POOL = [P1, P2, P3, ANY];

function pickSome(rng: Rng, items: readonly string[], max: number): string[] {
  const count = 1 + Math.floor(rng() * max);
  const chosen = new Set<string>();
  for (let i = 0; i < count; i++) chosen.add(items[Math.floor(rng() * items.length)]!);
  return [...chosen];
}

const maybe = (rng: Rng, p: number, value: () => number): number | undefined =>
  rng() < p ? value() : undefined;

/**
 * 1-4 certificates with random policies, mappings, constraints and self-issued CAs, and random
 * inputs. `openssl` leaves out what openssl verify cannot take or does differently: a
 * self-issued leaf (it does not decrement explicit_policy for one, see the 4.9.8 case) and an
 * empty caller set (no -policy means something else there).
 */
function randomPath(
  rng: Rng,
  openssl: boolean,
): { certificates: ReferenceCertificate[]; inputs: PolicyInputs } {
  const n = 1 + Math.floor(rng() * 4);
  const certificates: ReferenceCertificate[] = [];
  for (let i = 0; i < n; i++) {
    const isLeaf = i === n - 1;
    const policies = rng() < 0.15 ? undefined : pickSome(rng, POOL, 3);
    // OpenSSL processes certificate n's policyMappings; RFC 5280 §6.1.4 does not (see cases).
    const mappings =
      rng() < 0.35 && !(openssl && isLeaf)
        ? pickSome(rng, [P1, P2, P3], 2).map((from): [string, string] => [
            from,
            [P1, P2, P3][Math.floor(rng() * 3)]!,
          ])
        : undefined;
    const requireExplicitPolicy = maybe(rng, 0.2, () => Math.floor(rng() * 3));
    const inhibitPolicyMapping = maybe(rng, 0.2, () => Math.floor(rng() * 3));
    const inhibitAnyPolicy = maybe(rng, 0.2, () => Math.floor(rng() * 3));
    certificates.push({
      ...(policies === undefined ? {} : { policies }),
      ...(mappings === undefined ? {} : { mappings }),
      ...(requireExplicitPolicy === undefined && inhibitPolicyMapping === undefined
        ? {}
        : {
            ...(requireExplicitPolicy === undefined ? {} : { requireExplicitPolicy }),
            ...(inhibitPolicyMapping === undefined ? {} : { inhibitPolicyMapping }),
          }),
      ...(inhibitAnyPolicy === undefined ? {} : { inhibitAnyPolicy }),
      selfIssued: i > 0 && (isLeaf ? !openssl && rng() < 0.3 : rng() < 0.2),
    });
  }
  const set = rng() < 0.5 ? undefined : !openssl && rng() < 0.1 ? [] : pickSome(rng, POOL, 2);
  const inputs = {
    ...(set === undefined ? {} : { initialPolicySet: set }),
    initialExplicitPolicy: rng() < 0.4,
    initialPolicyMappingInhibit: rng() < 0.2,
    initialAnyPolicyInhibit: rng() < 0.2,
  };
  // OpenSSL maps an issuer policy through a certificate's anyPolicy even when inhibit_anyPolicy
  // has switched that anyPolicy off (see cases): with inhibition anywhere, a certificate that
  // maps does not also assert anyPolicy here.
  const inhibited =
    inputs.initialAnyPolicyInhibit ||
    certificates.some((certificate) => certificate.inhibitAnyPolicy !== undefined);
  if (!openssl || !inhibited) return { certificates, inputs };
  return {
    inputs,
    certificates: certificates.map((certificate) => {
      if (certificate.mappings === undefined || !certificate.policies?.includes(ANY)) {
        return certificate;
      }
      const { policies, ...rest } = certificate;
      const kept = policies.filter((policy) => policy !== ANY);
      return kept.length === 0 ? rest : { ...rest, policies: kept };
    }),
  };
}

/**
 * A stand-in for a parsed certificate with only what processPolicies reads: the extensions
 * (real DER), the name keys (self-issued or not) and a thumbprint. Thousands of paths, no signing.
 */
function fakeCertificate(
  spec: ReferenceCertificate,
  index: number,
  raw: Readonly<Record<string, Uint8Array>> = {},
): ParsedCertificate {
  const extensions = new Map<string, RawExtension>();
  const put = (oid: string, value: Uint8Array) => extensions.set(oid, { critical: false, value });
  if (spec.policies !== undefined) put(CP, certificatePoliciesValue(spec.policies));
  if (spec.mappings !== undefined) put(PM, policyMappingsValue(spec.mappings));
  if (spec.requireExplicitPolicy !== undefined || spec.inhibitPolicyMapping !== undefined) {
    put(PC, policyConstraintsValue(spec));
  }
  if (spec.inhibitAnyPolicy !== undefined) put(IAP, inhibitAnyPolicyValue(spec.inhibitAnyPolicy));
  for (const [oid, value] of Object.entries(raw)) put(oid, value);
  const fake = {
    thumbprint: `FAKE${index}`,
    subjectKey: spec.selfIssued ? `name${index - 1}` : `name${index}`,
    issuerKey: `name${index - 1}`,
    extensions,
  };
  return fake as unknown as ParsedCertificate;
}

const referenceOutcome = (
  certificates: readonly ReferenceCertificate[],
  inputs: PolicyInputs,
): Run["expect"] => {
  const reference = referencePolicyTree(certificates, inputs);
  return reference.ok ? [...reference.policies].sort() : "no-valid-policy";
};

const actualOutcome = (outcome: PolicyOutcome): Run["expect"] =>
  outcome.ok ? [...outcome.policies].sort() : outcome.failure.code;

describe("A19: the graph gives the RFC 5280 tree's answers (RFC 9618's equivalence)", () => {
  it("3,000 random paths of 1-4 certificates with every input combination", () => {
    const rng = seededRng(5280);
    let failures = 0;
    let valid = 0;
    for (let run = 0; run < 3_000; run++) {
      const { certificates, inputs } = randomPath(rng, false);
      const anchor = fakeCertificate({ selfIssued: true }, -1);
      const path = [...certificates.map((spec, i) => fakeCertificate(spec, i)).reverse(), anchor];
      const expected = referenceOutcome(certificates, inputs);
      const actual = actualOutcome(processPolicies(path, inputs));
      expect(actual, JSON.stringify({ certificates, inputs })).toEqual(expected);
      if (typeof expected === "string") failures++;
      else valid++;
    }
    // The generator reaches both outcomes often enough to mean something.
    expect(failures).toBeGreaterThan(300);
    expect(valid).toBeGreaterThan(300);
  });
});

describe.skipIf(!OPENSSL)("A19: random chains, the graph against openssl verify", () => {
  const rng = seededRng(9618);
  const paths = Array.from({ length: 120 }, (_, i) => ({ i, ...randomPath(rng, true) }));
  it.each(paths)("random chain $i", async ({ i, certificates, inputs }) => {
    const cas = certificates.slice(0, -1).map(({ selfIssued, ...spec }) => ({
      ...spec,
      ...(selfIssued ? { selfIssued } : {}),
    }));
    const { selfIssued: _leafSelfIssued, ...leafSpec } = certificates[certificates.length - 1]!;
    const chain = await policyChain(`RND${i}`, cas, leafSpec);
    const expected = referenceOutcome(certificates, inputs);
    expect(actualOutcome(processPolicies(chain.path, inputs))).toEqual(expected);
    expectOpensslAgrees(chain, inputs, expected, JSON.stringify({ certificates, inputs }));
  });
});

describe("A19: hostile extension bytes never throw", () => {
  it("5,000 random and mutated values for the four extensions: a value, never an exception", () => {
    const rng = seededRng(32);
    const valid: Record<string, Uint8Array> = {
      [CP]: certificatePoliciesValue([P1, [P2, "https://cps.test"], ANY]),
      [PM]: policyMappingsValue([
        [P1, P2],
        [P3, P4],
      ]),
      [PC]: policyConstraintsValue({ requireExplicitPolicy: 1, inhibitPolicyMapping: 2 }),
      [IAP]: inhibitAnyPolicyValue(3),
    };
    const oids = [CP, PM, PC, IAP];
    const codes = new Set<string>();
    for (let run = 0; run < 5_000; run++) {
      const target = oids[run % oids.length]!;
      let value: Uint8Array;
      if (rng() < 0.3) {
        value = Uint8Array.from({ length: Math.floor(rng() * 40) }, () => Math.floor(rng() * 256));
      } else {
        // Flip, drop or insert a few bytes of a valid encoding (lengths included).
        const bytes = [...valid[target]!];
        for (let edits = 1 + Math.floor(rng() * 3); edits > 0; edits--) {
          const at = Math.floor(rng() * (bytes.length + 1));
          const kind = rng();
          if (kind < 0.5 && at < bytes.length) bytes[at] = Math.floor(rng() * 256);
          else if (kind < 0.75) bytes.splice(at, 1);
          else bytes.splice(at, 0, Math.floor(rng() * 256));
        }
        value = Uint8Array.from(bytes);
      }
      const path = [
        fakeCertificate({ policies: [ANY], selfIssued: false }, 0, { [target]: value }),
        fakeCertificate({ selfIssued: true }, -1),
      ];
      let outcome: PolicyOutcome | undefined;
      expect(() => {
        outcome = processPolicies(path, { initialExplicitPolicy: rng() < 0.5 });
      }).not.toThrow();
      codes.add(outcome!.ok ? "ok" : outcome!.failure.code);
    }
    // Both accepted and rejected shapes were reached, and nothing but these outcomes.
    expect([...codes].sort()).toEqual(expect.arrayContaining(["bad-extension", "ok"]));
    for (const code of codes) {
      expect(["ok", "bad-extension", "bad-policy-mapping", "no-valid-policy"]).toContain(code);
    }
  });
});
