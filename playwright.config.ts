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

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  fullyParallel: false,
  workers: 1,
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
