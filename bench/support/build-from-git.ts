import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The repository the benchmark runs in: bench/dist/bench/support -> the root. */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

export function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}

/**
 * Builds the package as it was at `commit` into `dir` (its `dist/index.js` is then the library of that commit), so
 * that a part can measure it beside this build in the same run. Resolves `commit` to a full hash, returned.
 */
export function buildFromGit(commit: string, dir: string): string {
  const hash = git('rev-parse', commit);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, 'source.tar');
  git('archive', '--format=tar', '-o', archive, hash, 'lib', 'package.json', 'tsconfig.json', 'tsconfig.build.json');
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(dir, 'tsconfig.build.json')]);
  return hash;
}
