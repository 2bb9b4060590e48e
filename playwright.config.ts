import { defineConfig } from '@playwright/test';

/**
 * Headless system Chromium with WebGPU. On machines without a GPU, Chromium's bundled SwiftShader
 * (a CPU Vulkan) provides the adapter; pages must come from http://localhost to be a secure context.
 */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = Number(process.env.E2E_PORT ?? 5199);

/**
 * Numeric checks (kernels, the engine against the reference and llama.cpp) assert no timing: `npm run
 * test:e2e` runs them two at a time (--workers 2), then the page and app tests one at a time, since
 * several assert that the page stays responsive, which a second browser beside them on a 2-core
 * machine could break. A plain `playwright test` runs everything one at a time.
 */
const NUMERIC_SPECS = /\/(kernels|engine|llama-cpp)\.spec\.ts$/;

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  workers: 1,
  projects: [
    { name: 'numeric', testMatch: NUMERIC_SPECS, fullyParallel: true },
    { name: 'pages', testIgnore: NUMERIC_SPECS },
  ],
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `npx vite --port ${PORT} --strictPort`,
    env: { E2E: '1' },
    url: `http://localhost:${PORT}/e2e/harness.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
