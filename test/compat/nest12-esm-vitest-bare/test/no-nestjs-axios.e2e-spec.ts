// Beside nest12-esm-vitest's own tests, which compat.spec.ts copies in: the same app, without @nestjs/axios.
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';

it('is an app without @nestjs/axios, and installing nestjs-loops did not add one', () => {
  expect(existsSync(new URL('../node_modules/@nestjs/axios', import.meta.url))).toBe(false);
});
