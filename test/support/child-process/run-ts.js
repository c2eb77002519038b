// Runs a TypeScript file of the test suite in a process of its own, compiled on load by @swc/core with the same
// settings jest uses (jest.config.js), so that a child runs the library's source exactly as the tests do.
// Usage: node run-ts.js <file.ts>. Nest's own packages load as they are (Node's require(esm)).
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');

const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};

require(require('node:path').resolve(process.argv[2]));
