import { LoopsAccountReader } from '../catalog/loops-account-reader';
import { MemoryRateLimiter } from '../delivery/memory-rate-limiter';
import { LoopsConfigurationError } from '../errors/loops-configuration.error';
import { readApiKey, readBaseUrl } from '../loops-options';
import type { LoopsTransport } from '../transport/loops-transport';
import { CliUsageError } from './cli-usage-error';
import { FetchLoopsTransport } from './fetch-loops-transport';

/** Loops' limit for a team, shared by all its keys; the commands keep under it while they page. */
const REQUESTS_PER_SECOND = 10;
/** Time limit of each request the commands make. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface LoopsCliConnection {
  baseUrl: string;
  reader: LoopsAccountReader;
}

/**
 * The account reader the commands use, from `LOOPS_API_KEY` and `LOOPS_BASE_URL`, by the module's own rules
 * (plain http:// only to loopback). Messages name the variable, never its value.
 * @throws CliUsageError when a variable is missing or breaks a rule.
 */
export function connectFromEnv(
  env: NodeJS.ProcessEnv,
  transport: LoopsTransport = new FetchLoopsTransport(),
): LoopsCliConnection {
  const apiKey = readVariable(env, 'LOOPS_API_KEY', (value) => readApiKey(value, false));
  // An empty LOOPS_BASE_URL= line means "not set", as in a .env file.
  const baseUrl = readVariable(env, 'LOOPS_BASE_URL', (value) => readBaseUrl(value === '' ? undefined : value));
  const reader = new LoopsAccountReader({
    apiKey,
    baseUrl,
    transport,
    // The commands' own limiter, which never fails: nothing to log.
    limiter: { limiter: new MemoryRateLimiter(REQUESTS_PER_SECOND), log: { write: () => undefined } },
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  return { baseUrl, reader };
}

function readVariable<T>(env: NodeJS.ProcessEnv, name: string, read: (value: string | undefined) => T): T {
  try {
    return read(env[name]);
  } catch (error) {
    if (!(error instanceof LoopsConfigurationError)) throw error;
    if (name === 'LOOPS_API_KEY' && !env[name]) {
      throw new CliUsageError('LOOPS_API_KEY is not set: give the API key of the Loops team (Settings > API) in it');
    }
    throw new CliUsageError(`${name} ${error.rule}`);
  }
}
