/**
 * Load and download progress as a line of text: bytes done, speed and time left. Speed is measured
 * over the last few seconds, not since the start, so a stall or a burst shows up quickly.
 */
import { formatBytes, formatSeconds } from './format.ts';

export interface ProgressReport {
  /** The engine's LoadProgress phases, plus 'downloading' for a copy being kept in the browser. */
  phase: 'downloading' | 'reading' | 'uploading' | 'ready';
  loadedBytes: number;
  totalBytes: number;
}

export interface ProgressView {
  /** 0..1, or null when the total is unknown. */
  fraction: number | null;
  text: string;
}

const PHASE_LABEL: Record<ProgressReport['phase'], string> = {
  downloading: 'Downloading',
  reading: 'Reading the model files',
  uploading: 'Uploading the weights to the GPU',
  ready: 'Ready',
};

/** Seconds of history the speed is averaged over. */
const WINDOW_S = 3;

export function createProgressMeter(now: () => number = () => performance.now()): (p: ProgressReport) => ProgressView {
  let phase: ProgressReport['phase'] | null = null;
  let samples: { t: number; bytes: number }[] = [];
  return (p) => {
    const t = now() / 1000;
    if (p.phase !== phase) {
      phase = p.phase;
      samples = [];
    }
    samples.push({ t, bytes: p.loadedBytes });
    while (samples.length > 2 && t - samples[1].t >= WINDOW_S) samples.shift();
    const fraction = p.totalBytes > 0 ? Math.min(1, p.loadedBytes / p.totalBytes) : null;
    const label = PHASE_LABEL[p.phase];
    if (p.phase === 'ready') return { fraction: 1, text: label };
    let text = `${label}: ${formatBytes(p.loadedBytes)} of ${formatBytes(p.totalBytes)}`;
    const first = samples[0];
    const dt = t - first.t;
    if (dt > 0.2 && p.loadedBytes > first.bytes) {
      const speed = (p.loadedBytes - first.bytes) / dt;
      text += ` · ${formatBytes(speed)}/s · ${formatSeconds((p.totalBytes - p.loadedBytes) / speed)} left`;
    }
    return { fraction, text };
  };
}
