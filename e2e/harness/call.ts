import type { Page } from '@playwright/test';

/** Calls `fn(arg)` exported by a harness module (e2e/harness/<module>.ts) inside the page. */
export async function callHarness<T>(page: Page, module: 'kernels' | 'engine' | 'recovery' | 'soak', fn: string, arg: unknown): Promise<T> {
  return page.evaluate(
    async ([m, f, a]) => {
      const mod = (await import(`/e2e/harness/${m}.ts`)) as Record<string, (x: unknown) => Promise<unknown>>;
      return mod[f](a);
    },
    [module, fn, arg] as const,
  ) as Promise<T>;
}
