import { defineConfig } from 'vitest/config';

export default defineConfig({
  server: { port: 5173, strictPort: false },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
