// Nest 12 and some of its dependencies ship as pure ESM; jest on Node 20 can only load them after
// @swc/jest has compiled them to CommonJS, so they are let through the transform below.
const esmPackages = ['@nestjs', 'loops'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/sample'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/compat/[^/]+/'],
  moduleNameMapper: { '^nestjs-loops$': '<rootDir>/lib', '^nestjs-loops/testing$': '<rootDir>/lib/testing' },
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  reporters: ['default', '<rootDir>/test/support/totals-reporter.js'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};
