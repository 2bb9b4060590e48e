import path from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';
import { rangeHandler } from './scripts/lib/range-server.ts';

/** Dev server only: the test models written by `npm run models` are served with range requests. */
function serveTestModels(): Plugin {
  return {
    name: 'serve-test-models',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use(rangeHandler(path.resolve('.cache/test-models'), '/test-models/'));
    },
  };
}

export default defineConfig({
  plugins: [serveTestModels()],
  server: { port: 5173, strictPort: false },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
