// Issue 13: the prepared selector's STARTTLS directions must cost what its anonymous ones cost
// on a warm session (≤ 20 µs at 1,000 certificates). Same stores, same pool, same time as the
// anonymous figures (bench-fixtures.ts); the inbound STARTTLS session looks for the connector's
// Fqdn (mail.contoso.com, about a fifth of the store carries it), the outbound one for the
// physical FQDN. Each is checked to select before it is timed.
import { Bench } from "tinybench";

import { createSelector } from "../src/exchange/selector.js";
import { BENCH_NOW, BENCH_SERVER, type BenchData, benchStore } from "./bench-fixtures.js";

export interface StartTlsFigures {
  readonly size: number;
  /** Median ms of a warm inbound STARTTLS session (same listing, same slot). */
  readonly inboundWarm: number;
  /** Median ms of a warm outbound STARTTLS session. */
  readonly outboundWarm: number;
}

export async function measureStartTls(
  data: BenchData,
  size: number,
  quick: boolean,
  median: (task: ReturnType<Bench["getTask"]>) => number,
): Promise<StartTlsFigures> {
  const { entries } = benchStore(data, size);
  const selector = createSelector({
    store: { list: () => entries },
    trustAnchors: data.trustAnchors,
    intermediates: data.intermediates,
  });
  const inbound = {
    receiveConnector: { authMechanism: "Tls, ExchangeServer", fqdn: "mail.contoso.com" },
    server: BENCH_SERVER,
    now: BENCH_NOW,
  };
  const outbound = {
    sendConnector: { fqdn: "mail.contoso.com" },
    server: BENCH_SERVER,
    now: BENCH_NOW,
  };
  const first = await selector.selectInboundStartTls(inbound);
  if (first.outcome !== "selected")
    throw new Error(`STARTTLS inbound at ${size}: ${first.outcome}`);
  const out = await selector.selectOutboundStartTls(outbound);
  if (out.outcome !== "selected") throw new Error(`STARTTLS outbound at ${size}: ${out.outcome}`);
  const hot = new Bench({ time: quick ? 300 : 1_500, iterations: 200, warmupIterations: 200 });
  hot
    .add("starttls inbound warm", () => selector.selectInboundStartTls(inbound))
    .add("starttls outbound warm", () => selector.selectOutboundStartTls(outbound));
  await hot.run();
  return {
    size,
    inboundWarm: median(hot.getTask("starttls inbound warm")),
    outboundWarm: median(hot.getTask("starttls outbound warm")),
  };
}
