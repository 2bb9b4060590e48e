/** Progress lines (bytes, speed, time left), sizes and durations, errors in plain words. */
import { describe, expect, test } from 'vitest';
import { errorDetail, explainError } from '../../src/ui/explain-error.ts';
import { formatBytes, formatSeconds } from '../../src/ui/format.ts';
import { createProgressMeter } from '../../src/ui/progress-meter.ts';

const MiB = 2 ** 20;

describe('format', () => {
  test.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1536, '1.50 KiB'],
    [40 * MiB, '40.0 MiB'],
    [1.25 * 2 ** 30, '1.25 GiB'],
  ])('formatBytes(%d) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  test.each([
    [4.4, '4 s'],
    [75, '1 min 15 s'],
    [4000, '1 h 7 min'],
    [Infinity, '?'],
  ])('formatSeconds(%d) = %s', (n, s) => expect(formatSeconds(n)).toBe(s));
});

describe('createProgressMeter', () => {
  test('speed and time left over the last seconds; a new phase starts over', () => {
    let t = 0;
    const meter = createProgressMeter(() => t);
    expect(meter({ phase: 'downloading', loadedBytes: 0, totalBytes: 100 * MiB })).toEqual({ fraction: 0, text: 'Downloading: 0 bytes of 100.0 MiB' });
    t = 1000;
    expect(meter({ phase: 'downloading', loadedBytes: 10 * MiB, totalBytes: 100 * MiB }).text).toBe('Downloading: 10.0 MiB of 100.0 MiB · 10.0 MiB/s · 9 s left');
    t = 2000;
    expect(meter({ phase: 'downloading', loadedBytes: 30 * MiB, totalBytes: 100 * MiB }).fraction).toBeCloseTo(0.3);
    t = 2100;
    expect(meter({ phase: 'uploading', loadedBytes: 0, totalBytes: 50 * MiB }).text).toBe('Uploading the weights to the GPU: 0 bytes of 50.0 MiB');
    expect(meter({ phase: 'ready', loadedBytes: 50 * MiB, totalBytes: 50 * MiB })).toEqual({ fraction: 1, text: 'Ready' });
  });

  test('a stall shows as a falling speed once the window moves past the burst', () => {
    let t = 0;
    const meter = createProgressMeter(() => t);
    meter({ phase: 'downloading', loadedBytes: 0, totalBytes: 100 * MiB });
    t = 1000;
    meter({ phase: 'downloading', loadedBytes: 50 * MiB, totalBytes: 100 * MiB });
    for (t = 2000; t <= 8000; t += 1000) meter({ phase: 'downloading', loadedBytes: 50 * MiB, totalBytes: 100 * MiB });
    t = 9000;
    // The window now starts at t = 6 s: 1 MiB in 3 s.
    expect(meter({ phase: 'downloading', loadedBytes: 51 * MiB, totalBytes: 100 * MiB }).text).toBe('Downloading: 51.0 MiB of 100.0 MiB · 341.3 KiB/s · 2 min 27 s left');
  });

  test('an unknown total has no fraction', () => {
    expect(createProgressMeter(() => 0)({ phase: 'reading', loadedBytes: 5, totalBytes: 0 }).fraction).toBeNull();
  });
});

describe('explainError', () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });

  test('known engine errors in plain words, with the specifics kept', () => {
    expect(explainError(named('GpuLimitError', 'this model needs a 1.1 GiB binding; the adapter allows 128 MiB.'))).toBe(
      'The GPU cannot hold this model: this model needs a 1.1 GiB binding; the adapter allows 128 MiB',
    );
    expect(explainError(named('EngineNotLoadedError', 'no model is loaded: call load() first'))).toBe('No model is loaded yet: pick a model first.');
    expect(explainError(new DOMException('The operation was aborted.', 'AbortError'))).toBe('Stopped.');
    expect(explainError(named('SettingsError', 'top-p must be in (0, 1], got 2'))).toContain('Fix it in the settings');
  });

  test('anything else still says what it was', () => {
    expect(explainError(new TypeError('x is undefined'))).toBe('Something went wrong (TypeError): x is undefined');
    expect(explainError('a string')).toBe('Something went wrong (Error): a string');
    expect(errorDetail({ name: 'HttpError', message: 'HTTP 404' })).toEqual({ name: 'HttpError', message: 'HTTP 404' });
  });
});
