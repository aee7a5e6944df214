#!/usr/bin/env node
// The `exchange-anonymous-tls` command: binds runCli to this process. Exit codes and output
// rules live in run.ts; here only what a process adds (a closed pipe, the exit status).
import { EXIT, runCli } from "./run.js";

// `explain … | head` closes stdout early: that is the reader's choice, not an error to report
// with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  process.stderr.write(`exchange-anonymous-tls: cannot write output: ${error.message}\n`);
  process.exit(EXIT.bug);
});

process.exitCode = await runCli(process.argv.slice(2), {
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
