import { cp } from 'node:fs/promises';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';
import { rangeHandler } from './scripts/lib/range-server.ts';

/**
 * Model files written by scripts/make-test-models.ts, served with range requests: the app's demo
 * model at /demo-model/ (copied into the build as well) and, on the dev server, the test models.
 */
function serveModels(): Plugin {
  let outDir = 'dist';
  let building = false;
  return {
    name: 'serve-models',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
      // Dev servers (Vitest's too, with its placeholder outDir) close bundles as well: only builds copy.
      building = config.command === 'build';
    },
    configureServer(server) {
      server.middlewares.use(rangeHandler(path.resolve('.cache/test-models'), '/test-models/'));
      server.middlewares.use(rangeHandler(path.resolve('.cache/demo-model'), '/demo-model/'));
    },
    configurePreviewServer(server) {
      server.middlewares.use(rangeHandler(path.join(outDir, 'demo-model'), '/demo-model/'));
    },
    async closeBundle() {
      // Only the app build ships the demo model (the library build has its own config).
      if (!building) return;
      await cp(path.resolve('.cache/demo-model'), path.join(outDir, 'demo-model'), { recursive: true }).catch(() => {});
    },
  };
}

export default defineConfig({
  plugins: [serveModels()],
  server: {
    port: 5173,
    strictPort: false,
    // Test runs (E2E=1) must not reload pages mid-test when files change.
    hmr: !process.env.E2E,
    watch: { ignored: ['**/.cache/**', '**/test-results/**', '**/playwright-report/**', '**/dist/**'] },
  },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
