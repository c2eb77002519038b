import { compareCatalog } from '../catalog/compare-catalog';
import { readLoopsAccount } from '../catalog/loops-account-snapshot';
import type { CliContext } from './cli-context';
import { loadCatalogFile } from './load-catalog-file';
import { connectFromEnv } from './loops-cli-connection';

/** `nestjs-loops check`: compares the catalog file with the account; exit code 0 without drift, 1 with. */
export async function checkCommand(options: { catalog: string; json: boolean }, context: CliContext): Promise<number> {
  // The file first: a mistake in it is found without a request.
  const { catalog, displayPath } = loadCatalogFile(options.catalog, context.cwd);
  const { reader } = connectFromEnv(context.env, context.transport);
  const account = await readLoopsAccount(reader, {
    propertiesOf: new Set(Object.keys(catalog.events)),
    contactProperties: catalog.contactProperties !== undefined,
    mailingLists: catalog.mailingLists !== undefined,
  });
  const { drift, notes } = compareCatalog(catalog, account);
  const exitCode = drift.length === 0 ? 0 : 1;
  if (options.json) {
    context.out(JSON.stringify({ ok: exitCode === 0, catalog: displayPath, team: account.teamName, drift, notes }));
    return exitCode;
  }
  for (const item of drift) context.out(`drift: ${item.message}`);
  for (const item of notes) context.out(`note: ${item.message}`);
  const team = `the Loops account of team "${account.teamName}"`;
  context.out(
    drift.length === 0
      ? `${displayPath} matches ${team}${notes.length > 0 ? ` (${notes.length} note${notes.length === 1 ? '' : 's'})` : ''}.`
      : `${displayPath} drifts from ${team}: ${drift.length} problem${drift.length === 1 ? '' : 's'}.`,
  );
  return exitCode;
}
