import { parseArgs } from 'node:util';
import { LoopsApiError } from '../errors/loops-api.error';
import { LoopsAuthError } from '../errors/loops-auth.error';
import { LoopsNetworkError } from '../errors/loops-network.error';
import { LoopsRateLimitError } from '../errors/loops-rate-limit.error';
import { redactText } from '../utils/redact';
import { checkCommand } from './check-command';
import type { CliContext } from './cli-context';
import { CliFileError } from './cli-file-error';
import { CliUsageError } from './cli-usage-error';
import { pullCommand } from './pull-command';

/** No drift. */
export const EXIT_OK = 0;
/** `check` found drift. */
export const EXIT_DRIFT = 1;
/** A usage, auth, network or API error: nothing was compared. */
export const EXIT_ERROR = 2;

export const DEFAULT_CATALOG_FILE = 'src/loops.catalog.ts';

const USAGE = `Usage: nestjs-loops <command> [options]

Commands:
  pull   Write the event catalog from the Loops account   --out FILE      (default ${DEFAULT_CATALOG_FILE})
  check  Compare the catalog with the Loops account        --catalog FILE  (default ${DEFAULT_CATALOG_FILE})

Options:
  --json      Print one JSON object instead of text
  -h, --help  Show this help

Environment:
  LOOPS_API_KEY   The API key of the Loops team (required)
  LOOPS_BASE_URL  Default https://app.loops.so/api/v1; plain http:// only for loopback hosts

Exit codes: 0 no drift, 1 drift found by check, 2 usage, file, auth, network or API error.`;

type ErrorKind = 'usage' | 'file' | 'auth' | 'rate-limit' | 'network' | 'api' | 'internal';

/** Runs one command line (without `node` and the script) and resolves to its exit code; never rejects. */
export async function runCli(argv: string[], given: CliContext): Promise<number> {
  const context = withKeyHidden(given);
  const json = argv.includes('--json');
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      context.err(USAGE);
      return EXIT_ERROR;
    }
    if (command === '-h' || command === '--help' || command === 'help') return help(context);
    if (command === 'pull') {
      const values = parseOptions(rest, 'out');
      if (values.help) return help(context);
      return await pullCommand({ out: values.out ?? DEFAULT_CATALOG_FILE, json }, context);
    }
    if (command === 'check') {
      const values = parseOptions(rest, 'catalog');
      if (values.help) return help(context);
      return await checkCommand({ catalog: values.catalog ?? DEFAULT_CATALOG_FILE, json }, context);
    }
    throw new CliUsageError(`unknown command "${command}" (pull or check; nestjs-loops --help)`);
  } catch (error) {
    const [kind, message] = describeFailure(error);
    if (json) context.out(JSON.stringify({ ok: false, error: { kind, message } }));
    else context.err(`nestjs-loops: ${message}`);
    return EXIT_ERROR;
  }
}

/**
 * The context, with the key in LOOPS_API_KEY cut out of every line it prints: usage errors quote the arguments, and
 * a key typed on the command line as well would go into a CI log.
 */
function withKeyHidden(context: CliContext): CliContext {
  const value = context.env.LOOPS_API_KEY ?? '';
  // Only a value that could be a key: cutting out whitespace, say, would mangle every line.
  const key = /^[\x21-\x7e]+$/.test(value) ? value : '';
  return {
    ...context,
    out: (line) => context.out(redactText(line, key)),
    err: (line) => context.err(redactText(line, key)),
  };
}

function help(context: CliContext): number {
  context.out(USAGE);
  return EXIT_OK;
}

function parseOptions<T extends 'out' | 'catalog'>(
  args: string[],
  file: T,
): { [K in T]?: string } & { help?: boolean } {
  try {
    const { values } = parseArgs({
      args,
      options: { [file]: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    });
    return values as { [K in T]?: string } & { help?: boolean };
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message} (nestjs-loops --help)`);
  }
}

/** What went wrong, in words a person can act on. None of them can hold the key: see the reader's errors. */
function describeFailure(error: unknown): [ErrorKind, string] {
  if (error instanceof CliUsageError) return ['usage', error.message];
  if (error instanceof CliFileError) return ['file', error.message];
  if (error instanceof LoopsAuthError) {
    return [
      'auth',
      `Loops rejected the API key in LOOPS_API_KEY (${error.status}): check that it is a current key of the right team (Settings > API)`,
    ];
  }
  if (error instanceof LoopsRateLimitError) {
    return [
      'rate-limit',
      "Loops kept answering 429 Too Many Requests: the team's limit (10 requests per second, shared by all its " +
        'keys) is used up by other clients right now; try again in a minute',
    ];
  }
  if (error instanceof LoopsNetworkError) return ['network', `could not reach Loops: ${error.message}`];
  if (error instanceof LoopsApiError) return ['api', error.message];
  return ['internal', `unexpected error: ${error instanceof Error ? error.message : String(error)}`];
}
