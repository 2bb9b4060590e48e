import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../playwright.config.ts';
import { rangeHandler } from './range-server.ts';
import { REPO_ROOT } from './repo-root.ts';

export { REPO_ROOT };

export interface BrowserSession {
  page: Page;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts Vite on a free localhost port (optionally serving a local model under /__model/ with range
 * requests), opens headless Chromium with WebGPU on `pagePath`, and returns the page.
 */
export async function openBrowserPage(pagePath: string, modelPath?: string): Promise<BrowserSession> {
  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await createServer({
      root: REPO_ROOT,
      configFile: path.join(REPO_ROOT, 'vite.config.ts'),
      logLevel: 'error',
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
      plugins: modelPath
        ? [{ name: 'serve-model', configureServer: (s) => void s.middlewares.use(rangeHandler(modelPath, '/__model/')) }]
        : [],
    });
    await server.listen();
    const port = (server.httpServer!.address() as AddressInfo).port;
    const baseUrl = `http://localhost:${port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    await page.goto(`${baseUrl}${pagePath}`);
    const b = browser;
    const s = server;
    return {
      page,
      baseUrl,
      close: async () => {
        await b.close();
        await s.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await server?.close();
    throw e;
  }
}
