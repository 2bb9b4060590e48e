/**
 * Cuts streamed text at the first of some stop sequences (OpenAI's `stop`): the sequence and all
 * after it are dropped, and text that could still be the start of one is held back until decided.
 */
import { partialMatchLength } from './partial-match.ts';

export interface StopMatcher {
  /** The text that is certain to come before any stop sequence; `stopped` once one was found. */
  push(text: string): { text: string; stopped: boolean };
  /** The held-back text at the end of the stream (none after a stop). */
  flush(): string;
}

export function createStopMatcher(stops: readonly string[]): StopMatcher {
  let held = '';
  let stopped = false;
  return {
    push(text) {
      if (stopped) return { text: '', stopped };
      const s = held + text;
      let cut = -1;
      for (const stop of stops) {
        const i = s.indexOf(stop);
        if (i >= 0 && (cut < 0 || i < cut)) cut = i;
      }
      if (cut >= 0) {
        stopped = true;
        held = '';
        return { text: s.slice(0, cut), stopped };
      }
      const keep = partialMatchLength(s, stops);
      held = s.slice(s.length - keep);
      return { text: s.slice(0, s.length - keep), stopped };
    },
    flush() {
      const t = stopped ? '' : held;
      held = '';
      return t;
    },
  };
}
