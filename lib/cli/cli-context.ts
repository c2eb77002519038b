import type { LoopsTransport } from '../transport/loops-transport';

/** What a command gets from the process, so that tests can run it in-process with their own. */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  now(): Date;
  /** Default: Node's global fetch. */
  transport?: LoopsTransport;
}
