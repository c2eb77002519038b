#!/usr/bin/env node
import { runCli } from './run-cli';

// The `nestjs-loops` bin: `npx nestjs-loops pull` / `npx nestjs-loops check`.
void runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
}).then((code) => {
  process.exitCode = code;
});
