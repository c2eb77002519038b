// Run by compat.spec.ts inside an installed scenario: an ES module that loads the package with import() first,
// then require(), and checks that both give the same objects (one format, so one copy of every DI token).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { LoopsModule } from 'nestjs-loops';

const require = createRequire(import.meta.url);
const report = {};
for (const specifier of JSON.parse(process.argv[2])) {
  const imported = await import(specifier);
  const required = require(specifier);
  assert.equal(imported.default, required, `${specifier}: import().default is not require()`);
  const names = Object.keys(required).filter((name) => name !== '__esModule');
  assert.ok(names.length > 0, `${specifier}: no exports`);
  for (const name of names) {
    assert.ok(name in imported, `${specifier}: import() lacks the named export ${name}`);
    assert.equal(imported[name], required[name], `${specifier}: import().${name} is not require().${name}`);
  }
  report[specifier] = names.length;
}
assert.equal(LoopsModule, require('nestjs-loops').LoopsModule, 'static import and require() differ');
assert.equal(require('nestjs-loops/package.json').name, 'nestjs-loops');
assert.throws(() => require.resolve('nestjs-loops/dist/index.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
console.log(JSON.stringify({ format: 'esm', exports: report }));
