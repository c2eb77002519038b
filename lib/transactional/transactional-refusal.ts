import { LoopsApiError } from '../errors/loops-api.error';
import { LoopsTransactionalDataVariablesError } from '../errors/loops-transactional-data-variables.error';
import { LoopsTransactionalNotFoundError } from '../errors/loops-transactional-not-found.error';
import { LoopsTransactionalError } from '../errors/loops-transactional.error';

/** "Missing required data variable(s): confirmationUrl, name", the form of the spec's examples. */
const MISSING_DATA_VARIABLES = /data variables?(?:\(s\))?:\s*(.+)$/i;

/**
 * The typed error for a refusal of `POST /v1/transactional`: 404 is an unknown email; a 400 that blames
 * `dataVariables` or one of them (in `path` or `error.path`, or a message about data variables where no path is given) lists what is
 * missing. Other statuses and errors (auth, 409, 429, 5xx) keep their own types.
 */
export function toTransactionalRefusal(error: LoopsApiError, transactionalId: string): LoopsApiError {
  if (error.constructor !== LoopsApiError || (error.status !== 400 && error.status !== 404)) return error;
  const details = { status: error.status, body: error.body, rawBody: error.rawBody };
  const path = readPath(error.body);
  if (error.status === 404) return new LoopsTransactionalNotFoundError(details, transactionalId, path);
  const message = error.loopsMessage;
  if (blamesDataVariables(path) || (path === undefined && message !== undefined && /data variable/i.test(message))) {
    return new LoopsTransactionalDataVariablesError(details, transactionalId, path, readMissing(error.body), message);
  }
  const where = path === undefined ? '' : `, ${path}`;
  const fix = path === 'attachments' ? '; attachments must first be enabled for the team by Loops support' : '';
  return new LoopsTransactionalError(
    details,
    transactionalId,
    path,
    `Loops refused transactional email "${transactionalId}" (400${where}): ${message ?? 'bad request'}${fix}`,
  );
}

/** `dataVariables` itself, or one of them: `dataVariables.confirmationUrl`, `dataVariables[0]`. */
function blamesDataVariables(path: string | undefined): boolean {
  return path !== undefined && /^dataVariables(?:$|[.[])/.test(path);
}

function readPath(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { path, error } = body as { path?: unknown; error?: { path?: unknown } | null };
  if (typeof error === 'object' && error !== null && typeof error.path === 'string') return error.path;
  return typeof path === 'string' ? path : undefined;
}

/** The names listed in the answer's messages, top-level or under `error`. */
function readMissing(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const { message, error } = body as { message?: unknown; error?: { message?: unknown } | null };
  const texts = [typeof error === 'object' && error !== null ? error.message : undefined, message];
  for (const text of texts) {
    const match = typeof text === 'string' ? MISSING_DATA_VARIABLES.exec(text) : null;
    if (match) {
      return match[1]
        .split(',')
        .map((name) => name.trim().replace(/\.$/, ''))
        .filter((name) => name !== '');
    }
  }
  return [];
}
