import type { CDPSession, Page } from '@playwright/test';

/**
 * JS heap in use, after a full garbage collection, of a page and of one of its dedicated workers,
 * through the Chrome DevTools Protocol (Playwright side: this runs in Node, not in the page).
 * `performance.memory` does not exist in workers and is coarse in pages, hence CDP. A worker is
 * reached through the browser session with the non-flattened Target messages, which Playwright's
 * CDPSession (made for pages) has no other way to address.
 */
export interface HeapProbe {
  /** The page's JSHeapUsedSize (Performance.getMetrics), bytes. */
  page(): Promise<number>;
  /** The worker's used heap (Runtime.getHeapUsage), bytes. */
  worker(): Promise<number>;
  close(): Promise<void>;
}

export async function probeHeaps(page: Page, workerName: string): Promise<HeapProbe> {
  const pageCdp = await page.context().newCDPSession(page);
  await pageCdp.send('Performance.enable');
  const browserCdp = await page.context().browser()!.newBrowserCDPSession();
  const { targetInfo: pageTarget } = await pageCdp.send('Target.getTargetInfo');
  let nextId = 0;
  const pending = new Map<number, (m: { result?: unknown; error?: { message: string } }) => void>();
  browserCdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id !== undefined) pending.get(m.id)?.(m);
  });
  let sessionId: string | null = null;

  async function workerSession(cdp: CDPSession): Promise<string> {
    if (sessionId) return sessionId;
    const { targetInfos } = await cdp.send('Target.getTargets');
    const target = targetInfos.find((t) => t.type === 'worker' && t.title === workerName && t.browserContextId === pageTarget.browserContextId);
    if (!target) throw new Error(`no worker named ${workerName} in this page's context`);
    ({ sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false }));
    return sessionId!;
  }

  async function inWorker<T>(method: string): Promise<T> {
    const session = await workerSession(browserCdp);
    const id = ++nextId;
    const reply = new Promise<{ result?: unknown; error?: { message: string } }>((resolve) => pending.set(id, resolve));
    await browserCdp.send('Target.sendMessageToTarget', { sessionId: session, message: JSON.stringify({ id, method }) });
    const m = await reply;
    pending.delete(id);
    if (m.error) throw new Error(`${method} in the worker: ${m.error.message}`);
    return m.result as T;
  }

  return {
    async page() {
      await pageCdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await pageCdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
    },
    async worker() {
      await inWorker('HeapProfiler.collectGarbage');
      return (await inWorker<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
    },
    async close() {
      await pageCdp.detach();
      await browserCdp.detach();
    },
  };
}
