#!/usr/bin/env node
// The `exchange-anonymous-tls` command: binds runCli to this process. Exit codes and output
// rules live in run.ts; here only what a process adds (a closed pipe, the exit status).
// `--help` alone is answered from help.ts without loading the command (issue 14: a quick
// `--help`); everything else imports run.ts, which loads the X.509 stack only for `explain`.
// help.ts imports nothing, so its usage text, name and exit statuses cost nothing to load.
import { EXIT, HELP, PROGRAM } from "./help.js";

const args = process.argv.slice(2);

// `explain … | head` closes stdout early: that is the reader's choice, not an error to report
// with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  process.stderr.write(`${PROGRAM}: cannot write output: ${error.message}\n`);
  process.exit(EXIT.bug);
});

if (args.length === 1 && (args[0] === "--help" || args[0] === "-h" || args[0] === "help")) {
  process.stdout.write(HELP);
  process.exitCode = 0;
} else {
  const { runCli } = await import("./run.js");
  process.exitCode = await runCli(args, {
    stdout: (text) => {
      process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    cwd: process.cwd(),
  });
}
