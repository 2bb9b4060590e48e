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

/**
 * The browser refused a write while a model was being kept (QuotaExceededError): the estimate said
 * there was room, but other sites, other tabs or the disk took it. What was stored stays, counted in
 * the manifest only up to the last whole chunk, so the copy is never taken for complete.
 */
export class StorageFullError extends Error {
  override name = 'StorageFullError';
  constructor(
    readonly storedBytes: number,
    readonly totalBytes: number,
  ) {
    super(
      `The browser refused to store more of this model after ${gib(storedBytes)} of ${gib(totalBytes)}: its storage for this site is full. ` +
        'The part kept so far stays, and loading the model again resumes from there once there is room: delete models kept in this browser, ' +
        'free disk space, or load the model without keeping a copy.',
    );
  }
}

/** Whether a failed IndexedDB write was the browser's storage limit (Chrome and Firefox name it so). */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
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
