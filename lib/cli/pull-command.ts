import {
  chmodSync,
  existsSync,
  mkdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { LoopsCatalog } from '../catalog/loops-catalog';
import { readLoopsAccount } from '../catalog/loops-account-snapshot';
import type { CliContext } from './cli-context';
import { CliFileError } from './cli-file-error';
import { loadCatalogFile } from './load-catalog-file';
import { connectFromEnv } from './loops-cli-connection';
import { renderCatalog } from './render-catalog';

/** `nestjs-loops pull`: writes the catalog file from the account; exit code 0. */
export async function pullCommand(options: { out: string; json: boolean }, context: CliContext): Promise<number> {
  const path = resolve(context.cwd, options.out);
  const displayPath = relative(context.cwd, path) || options.out;
  const { baseUrl, reader } = connectFromEnv(context.env, context.transport);
  const existed = existsSync(path);
  const previous = existed ? readPrevious(options.out, context) : undefined;
  const account = await readLoopsAccount(reader, { propertiesOf: 'all', contactProperties: true, mailingLists: true });
  const rendered = renderCatalog({ account, baseUrl, pulledAt: context.now(), previous });
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeAtomically(path, rendered.source);
  } catch (error) {
    const previously = existed ? '; the previous file is unchanged' : '';
    throw new CliFileError(`${displayPath} could not be written (${(error as Error).message})${previously}`);
  }
  for (const line of rendered.leftOut) context.err(`warning: ${line}`);
  const integrationEvents = [...account.events]
    .filter(([, event]) => event.platform !== null)
    .map(([name]) => name)
    .sort();
  if (options.json) {
    const { events, contactProperties, mailingLists } = rendered;
    const summary = { file: displayPath, team: account.teamName, events, contactProperties, mailingLists };
    context.out(JSON.stringify({ ok: true, ...summary, integrationEvents }));
    return 0;
  }
  context.out(
    `Wrote ${displayPath} from the Loops account of team "${account.teamName}": ${plural(rendered.events, 'event')}, ` +
      `${plural(rendered.contactProperties, 'custom contact property', 'custom contact properties')}, ` +
      `${plural(rendered.mailingLists, 'mailing list')}.`,
  );
  if (integrationEvents.length > 0) {
    context.out(`Left out, as integrations send them rather than the app: ${integrationEvents.join(', ')}.`);
  }
  return 0;
}

/** The file being replaced, for the optional markers it holds; a file that can't be read is only a warning. */
function readPrevious(file: string, context: CliContext): LoopsCatalog | undefined {
  try {
    return loadCatalogFile(file, context.cwd).catalog;
  } catch (error) {
    context.err(`warning: ${(error as Error).message}; optional markers ('string?') in it are not kept`);
    return undefined;
  }
}

/**
 * Written beside the target, then renamed over it: a write that fails half-way (a full disk, a killed process) leaves
 * the previous catalog whole, with the optional markers and list constants the next pull keeps.
 */
function writeAtomically(path: string, source: string): void {
  // Through a symlink to the file it names, keeping that file's permissions, as writing in place did.
  const existing = existsSync(path) ? realpathSync(path) : undefined;
  const target = existing ?? path;
  const mode = existing === undefined ? undefined : statSync(existing).mode & 0o7777;
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, source);
    if (mode !== undefined) chmodSync(temporary, mode);
    renameSync(temporary, target);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Never written, or not a file of ours.
    }
    throw error;
  }
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
