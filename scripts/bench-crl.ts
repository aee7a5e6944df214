// npm run bench:crl [-- --quick]: the issue 16 figures for caller-supplied CRLs (A21).
// - parse: one parse of a 100,000-entry CRL (and of a 1,000,000-entry one, for linearity), the
//   median of several runs;
// - lookup: the median time of one serial-number look-up in the parsed 100,000-entry CRL, for a
//   serial that is listed (its entry is then decoded) and one that is not (batches, per look-up);
// - check: one revocation check of a root → CA → leaf path against that CRL, cold (signature
//   verified) and warm.
// The CRLs are signed with the committed test keys (never generated keys). The last line is
// one JSON object of the figures.
import { parseCertificate } from "../src/x509/certificate.js";
import { createCrlRevocationChecker, prepareCrls } from "../src/x509/revocation/checker.js";
import { parseCrl } from "../src/x509/revocation/crl.js";
import { forgeCrl } from "../test/revocation/crl-forge.js";
import { forgeCertificate } from "../test/support/forge.js";

const quick = process.argv.includes("--quick");
const NOW = new Date("2024-06-01T12:00:00Z");
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

/** `count` entries with distinct 4-octet serials from 0x01000001, as a CA would list them. */
function entries(count: number): Uint8Array {
  const date = Buffer.from("240530120000Z", "latin1");
  const buffer = new Uint8Array(count * 23);
  for (let i = 0; i < count; i++) {
    const offset = i * 23;
    const serial = 0x01000001 + i;
    buffer.set([0x30, 0x15, 0x02, 0x04], offset);
    buffer[offset + 4] = (serial >>> 24) & 0xff;
    buffer[offset + 5] = (serial >>> 16) & 0xff;
    buffer[offset + 6] = (serial >>> 8) & 0xff;
    buffer[offset + 7] = serial & 0xff;
    buffer.set([0x17, 0x0d], offset + 8);
    buffer.set(date, offset + 10);
  }
  return buffer;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = run();
  return { value, ms: performance.now() - started };
}

const name = (cn: string) => [["O", "CRL Bench"] as const, ["CN", cn] as const];
const issuer = name("Bench CA");
const crl100k = forgeCrl({
  issuer,
  signer: "p256-2",
  thisUpdate: at(-1),
  nextUpdate: at(6),
  crlNumber: 1,
  rawEntries: entries(100_000),
});
const crl1m = forgeCrl({
  issuer,
  signer: "p256-2",
  thisUpdate: at(-1),
  nextUpdate: at(6),
  crlNumber: 1,
  rawEntries: entries(1_000_000),
});

const runs = quick ? 3 : 7;
const parse100k = median(Array.from({ length: runs }, () => time(() => parseCrl(crl100k)).ms));
const parse1m = median(Array.from({ length: quick ? 1 : 3 }, () => time(() => parseCrl(crl1m)).ms));

const parsed = parseCrl(crl100k);
if (!parsed.ok) throw new Error(`the bench CRL does not parse: ${parsed.detail}`);
const { crl } = parsed;
const BATCH = 100_000;
const present = Array.from({ length: BATCH }, (_, i) =>
  (0x01000001 + ((i * 7919) % 100_000)).toString(16).toUpperCase().padStart(8, "0"),
);
const absent = Array.from({ length: BATCH }, (_, i) =>
  (0x02000000 + i).toString(16).toUpperCase().padStart(8, "0"),
);
let found = 0;
/** Median time of one look-up over `runs` batches (a hit also decodes the entry). */
function lookupNs(serials: readonly string[]): number {
  return median(
    Array.from({ length: runs }, () => {
      const { ms } = time(() => {
        for (const serial of serials) if (crl.lookup(serial, crl.issuerKey) !== undefined) found++;
      });
      return (ms * 1e6) / serials.length;
    }),
  );
}
const presentNs = lookupNs(present);
const absentNs = lookupNs(absent);

// One path check: root → CA → leaf, the leaf's serial among the 100,000 (not listed).
const rootCert = parseCertificate(
  await forgeCertificate({
    serial: 1,
    subject: name("Bench Root"),
    key: "p256-1",
    notBefore: at(-365),
    notAfter: at(365),
    basicConstraints: { ca: true },
    keyUsage: ["keyCertSign", "cRLSign"],
  }),
);
const caCert = parseCertificate(
  await forgeCertificate({
    serial: 2,
    subject: issuer,
    issuer: name("Bench Root"),
    key: "p256-2",
    signer: "p256-1",
    notBefore: at(-365),
    notAfter: at(365),
    basicConstraints: { ca: true },
    keyUsage: ["keyCertSign", "cRLSign"],
  }),
);
const leafCert = parseCertificate(
  await forgeCertificate({
    serial: "03000000",
    subject: name("bench.example"),
    issuer,
    key: "p256-3",
    signer: "p256-2",
    notBefore: at(-365),
    notAfter: at(365),
    san: ["bench.example"],
  }),
);
const rootCrl = forgeCrl({
  issuer: name("Bench Root"),
  signer: "p256-1",
  thisUpdate: at(-1),
  nextUpdate: at(6),
  entries: [{ serial: "7F" }],
});
const prepared = time(() => prepareCrls([crl100k, rootCrl]));
const checker = createCrlRevocationChecker({
  crls: prepared.value,
  mode: "hard",
  certificates: [rootCert, caCert],
});
const path = [leafCert, caCert, rootCert];
let started = performance.now();
const cold = await checker(path, NOW);
const coldMs = performance.now() - started;
const warm: number[] = [];
for (let i = 0; i < (quick ? 20 : 200); i++) {
  started = performance.now();
  await checker(path, NOW);
  warm.push(performance.now() - started);
}
if (cold.failure !== undefined) throw new Error(`unexpected: ${cold.failure.message}`);

const figures = {
  crlEntries: crl.entryCount,
  crlBytes: crl100k.length,
  parse100kMs: Number(parse100k.toFixed(1)),
  parse1mMs: Number(parse1m.toFixed(1)),
  parseRatio1mTo100k: Number((parse1m / parse100k).toFixed(1)),
  lookupListedNs: Number(presentNs.toFixed(0)),
  lookupAbsentNs: Number(absentNs.toFixed(0)),
  prepareMs: Number(prepared.ms.toFixed(1)),
  checkColdMs: Number(coldMs.toFixed(2)),
  checkWarmMsMedian: Number(median(warm).toFixed(3)),
  found: found === BATCH * runs,
};
console.log(
  `100,000-entry CRL (${(crl100k.length / 1e6).toFixed(1)} MB): parse ${figures.parse100kMs} ms; ` +
    `1,000,000 entries: ${figures.parse1mMs} ms (x${figures.parseRatio1mTo100k})`,
);
console.log(
  `look-up: median ${figures.lookupAbsentNs} ns (not listed), ${figures.lookupListedNs} ns (listed: the entry is decoded)`,
);
console.log(
  `path check (3 certificates, hard mode): cold ${figures.checkColdMs} ms, warm median ${figures.checkWarmMsMedian} ms`,
);
console.log(JSON.stringify(figures));
