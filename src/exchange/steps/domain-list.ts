// Step 6 (R8, R9, A10): the candidate domain list from the computer's configuration, in R8's
// order: FQDN, host name, physical FQDN, physical host name. With a cluster/NLB name, that name
// takes the FQDN's place (A10: it replaces the first entry; the others stay). Entries keep their
// source so the trace can say which one a certificate matched (A7).
import type { ServerNames, TraceStep } from "../../types.js";
import { type HostName, type HostNameProblem, parseHostName } from "../../x509/dns-name.js";

export type DomainListSource =
  | "fqdn"
  | "cluster-name"
  | "host-name"
  | "physical-fqdn"
  | "physical-host-name";

export interface DomainListEntry {
  readonly source: DomainListSource;
  readonly value: string;
  /** The normalized name, or null when the configured value is not a host name. */
  readonly name: HostName | null;
  readonly problem?: HostNameProblem;
}

export interface DomainList {
  readonly entries: readonly DomainListEntry[];
  /** The usable names, in order. */
  readonly names: readonly HostName[];
  readonly trace: TraceStep;
}

function entry(source: DomainListSource, value: string): DomainListEntry {
  const parsed = parseHostName(value);
  return parsed.ok
    ? { source, value, name: parsed.name }
    : { source, value, name: null, problem: parsed.problem };
}

export function buildDomainList(server: ServerNames): DomainList {
  const cluster = server.clusterName !== undefined && server.clusterName.trim() !== "";
  const entries = [
    cluster ? entry("cluster-name", server.clusterName!) : entry("fqdn", server.fqdn), // R9/A10
    entry("host-name", server.hostName),
    entry("physical-fqdn", server.physicalFqdn),
    entry("physical-host-name", server.physicalHostName),
  ];
  const names = entries.flatMap((e) => (e.name === null ? [] : [e.name]));
  const unusable = entries.filter((e) => e.name === null);
  return {
    entries,
    names,
    trace: {
      step: "domain-list",
      rules: cluster ? ["R8", "R9"] : ["R8"],
      status: "passed",
      summary:
        `domain list: ${entries.map((e) => e.name ?? `(unusable ${e.source} ${JSON.stringify(e.value)}: ${e.problem})`).join(", ")}` +
        (cluster
          ? ` (the cluster name ${server.clusterName} replaces the FQDN ${server.fqdn})`
          : "") +
        (unusable.length > 0 ? "; unusable entries match nothing" : ""),
      data: { entries, clusterNameApplied: cluster },
    },
  };
}
