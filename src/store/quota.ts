/**
 * Room for a model: the browser's storage estimate checked before a download starts (so it fails
 * with a clear message, not a QuotaExceededError half-way), and persistent storage asked for so
 * the browser does not evict a multi-gigabyte copy under storage pressure.
 */
export interface StorageLike {
  estimate(): Promise<{ quota?: number; usage?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export class StorageQuotaError extends Error {
  override name = 'StorageQuotaError';
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
  ) {
    super(
      `Keeping this model needs ${gib(neededBytes)} more, but this browser lets the page store only ${gib(freeBytes)} more. ` +
        'Delete models kept in this browser, free disk space, or load the model without keeping a copy.',
    );
  }
}

export async function checkQuota(neededBytes: number, storage: StorageLike | null): Promise<void> {
  if (!storage || neededBytes <= 0) return;
  const { quota, usage } = await storage.estimate();
  // Browsers that report no quota give no way to check: the writes themselves will tell.
  if (quota === undefined) return;
  const free = Math.max(0, quota - (usage ?? 0));
  if (neededBytes > free) throw new StorageQuotaError(neededBytes, free);
}

/** Whether the browser agreed to keep this site's data until the user deletes it. */
export async function requestPersistence(storage: StorageLike | null): Promise<boolean> {
  if (!storage?.persist) return false;
  if (await storage.persisted?.()) return true;
  return storage.persist().catch(() => false);
}

function gib(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}
