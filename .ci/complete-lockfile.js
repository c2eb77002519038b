// The npm registry reachable here serves the platform packages of this machine only (e.g. @swc/core-linux-x64-gnu,
// not @swc/core-darwin-arm64), so `npm install` leaves the others out of package-lock.json, and `npm ci` then
// refuses the lock as out of sync. This adds an entry for each one `npm ci` reports missing: the version its parent
// asks for, marked optional, so that `npm ci` accepts the lock and skips what it can't fetch.
// Run it after any `npm install` that changes the lock: node .ci/complete-lockfile.js
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const lockPath = join(root, 'package-lock.json');

function missingFromLock() {
  try {
    execFileSync('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], { cwd: root, stdio: 'pipe' });
    return [];
  } catch (error) {
    const output = `${error.stdout}${error.stderr}`;
    const missing = [...output.matchAll(/Missing: (.+?)@\S* from lock file/g)].map((match) => match[1]);
    if (missing.length === 0)
      throw new Error(`npm ci --dry-run failed for another reason:\n${output}`, { cause: error });
    return missing;
  }
}

// An added entry can pull in optional dependencies of its own that are missing in turn.
for (let missing = missingFromLock(); missing.length > 0; missing = missingFromLock()) {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  for (const name of missing) {
    const parent = Object.values(lock.packages).find((entry) => entry.optionalDependencies?.[name]);
    if (!parent) throw new Error(`no package in the lock asks for ${name}`);
    lock.packages[`node_modules/${name}`] = {
      version: parent.optionalDependencies[name].replace(/^[\^~=]/, ''),
      optional: true,
      ...(parent.dev && { dev: true }),
      ...(parent.devOptional && { devOptional: true }),
    };
  }
  const ordered = Object.keys(lock.packages).sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
  lock.packages = Object.fromEntries(ordered.map((key) => [key, lock.packages[key]]));
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: added ${missing.length} platform package(s) this registry does not serve`);
}
