import { defineConfig } from 'vitest/config';

// No swc plugin, as in the app `nest new` creates: vitest 4 runs on vite 8, whose Oxc transform follows
// tsconfig.json's experimentalDecorators/emitDecoratorMetadata, so constructor injection without @Inject() works.
// (On vite 7 and older, esbuild emits no decorator metadata and an app needs unplugin-swc.)
export default defineConfig({
  test: {
    root: './',
    include: ['test/**/*.e2e-spec.ts'],
  },
});
