// Run by compat.spec.ts inside an installed scenario: a CommonJS script that loads the package with require()
// first, then import(), and checks that both give the same objects.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS script */
const assert = require('node:assert/strict');

async function main() {
  const report = {};
  for (const specifier of JSON.parse(process.argv[2])) {
    const required = require(specifier);
    const imported = await import(specifier);
    assert.equal(imported.default, required, `${specifier}: import().default is not require()`);
    const names = Object.keys(required).filter((name) => name !== '__esModule');
    assert.ok(names.length > 0, `${specifier}: no exports`);
    for (const name of names) {
      assert.equal(imported[name], required[name], `${specifier}: import().${name} is not require().${name}`);
    }
    report[specifier] = names.length;
  }
  console.log(JSON.stringify({ format: 'cjs', exports: report }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
