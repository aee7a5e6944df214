// The real-world corpus table (issue 12, item 7), for a human: one line per certificate of the
// Debian corpora test/realworld/corpus.test.ts judges, with what our parser, OpenSSL and Node's
// X509Certificate made of it, and the encoding faults we recorded (A18).
//
//   npx tsx scripts/realworld-corpus.ts [corpus-id…] [--all]
//
// Without --all only the interesting lines are printed: a certificate some reader refuses, or
// one with encoding faults. The test is the verdict; this is for reading the corpus.
import { parseCertificate } from "../src/x509/certificate.js";
import {
  aptCommand,
  certificatesOf,
  findCorpora,
  readWithNode,
  readWithOpenssl,
} from "../test/realworld/corpus.js";

const args = process.argv.slice(2);
const all = args.includes("--all");
const wanted = args.filter((arg) => !arg.startsWith("--"));

for (const corpus of findCorpora()) {
  if (wanted.length > 0 && !wanted.includes(corpus.id)) continue;
  if (corpus.root === undefined) {
    console.log(`${corpus.id}: not installed (${aptCommand(corpus)})`);
    continue;
  }
  const certs = corpus.files.flatMap((file) => certificatesOf(corpus, file));
  const openssl = await readWithOpenssl(certs.map((cert) => cert.input));
  let shown = 0;
  console.log(`== ${corpus.id} (${corpus.root}): ${certs.length} certificates`);
  certs.forEach((cert, i) => {
    let ours: string;
    let faults: readonly string[] = [];
    try {
      const parsed = parseCertificate(cert.input);
      ours = parsed.thumbprint;
      faults = parsed.encodingFaults ?? [];
    } catch (error) {
      ours = `refused: ${(error as { reason?: string }).reason ?? String(error)}`;
    }
    const node = readWithNode(cert.input);
    const theirs = openssl[i]!;
    const interesting =
      faults.length > 0 || !theirs.readable || !node.readable || ours.startsWith("refused");
    if (!all && !interesting) return;
    shown++;
    console.log(
      [
        cert.label,
        `ours ${ours}${faults.length > 0 ? ` [${faults.join(", ")}]` : ""}`,
        `openssl ${theirs.readable ? theirs.thumbprint : `refused (${theirs.error.slice(0, 80)})`}`,
        `node ${node.readable ? node.thumbprint : `refused (${node.error.slice(0, 80)})`}`,
      ].join(" | "),
    );
  });
  if (!all) console.log(`(${shown} of ${certs.length} shown; --all for every certificate)`);
}
