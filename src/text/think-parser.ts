/**
 * Splits streamed model text into reasoning (inside <think>...</think>) and answer, delta by delta.
 * R1-Distill templates end the prompt inside an open <think>, so the stream starts in reasoning and
 * only </think> appears (`startsInThink`); older templates let the model write <think> itself; a
 * model may also never close the block. Tags split across deltas are held back until decided.
 */
import { partialMatchLength } from './partial-match.ts';

export interface ThinkDelta {
  reasoning: string;
  answer: string;
}

export interface ThinkParser {
  push(delta: string): ThinkDelta;
  /** Flushes held-back text; `thinking` tells whether the block was never closed. */
  finish(): ThinkDelta & { thinking: boolean };
  readonly thinking: boolean;
}

const OPEN = '<think>';
const CLOSE = '</think>';

/** `startsInThink`: the prompt left the model inside <think> (see templateOpensThink). */
export function createThinkParser({ startsInThink }: { startsInThink: boolean }): ThinkParser {
  let thinking = startsInThink;
  /** Whether text has gone to the answer yet: <think> is only honoured before the answer starts. */
  let answered = false;
  let held = '';

  const emit = (out: ThinkDelta, text: string) => {
    if (!text) return;
    if (thinking) out.reasoning += text;
    else {
      // Whitespace between </think> and the answer is not part of the answer.
      const t = answered ? text : text.replace(/^\s+/, '');
      if (t) answered = true;
      out.answer += t;
    }
  };

  const push = (delta: string): ThinkDelta => {
    const out: ThinkDelta = { reasoning: '', answer: '' };
    let s = held + delta;
    held = '';
    for (;;) {
      const tag = thinking ? CLOSE : answered ? null : OPEN;
      if (!tag) {
        emit(out, s);
        return out;
      }
      const i = s.indexOf(tag);
      if (i >= 0) {
        emit(out, s.slice(0, i));
        thinking = !thinking;
        s = s.slice(i + tag.length);
        continue;
      }
      const keep = partialMatchLength(s, [tag]);
      emit(out, s.slice(0, s.length - keep));
      held = s.slice(s.length - keep);
      return out;
    }
  };

  return {
    push,
    finish() {
      const out: ThinkDelta = { reasoning: '', answer: '' };
      emit(out, held);
      held = '';
      return { ...out, thinking };
    },
    get thinking() {
      return thinking;
    },
  };
}
