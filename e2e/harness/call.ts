import type { Page } from '@playwright/test';
import { fromWire, toWire } from './wire.ts';

/**
 * Calls `fn(arg)` exported by a harness module (e2e/harness/<module>.ts) inside the page. The argument
 * and the result cross packed (wire.ts), not as Playwright values.
 */
export async function callHarness<T>(page: Page, module: 'kernels' | 'engine' | 'recovery' | 'soak', fn: string, arg: unknown): Promise<T> {
  const text = await page.evaluate(
    async ([m, f, a]) => {
      const [wireUrl, modUrl] = ['/e2e/harness/wire.ts', `/e2e/harness/${m}.ts`];
      const wire = (await import(wireUrl)) as typeof import('./wire.ts');
      const mod = (await import(modUrl)) as Record<string, (x: unknown) => Promise<unknown>>;
      const result = await mod[f](a === undefined ? undefined : wire.fromWire(a));
      return result === undefined ? undefined : wire.toWire(result);
    },
    [module, fn, arg === undefined ? undefined : toWire(arg)] as const,
  );
  return (text === undefined ? undefined : fromWire(text)) as T;
}
