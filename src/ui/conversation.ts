/**
 * A chat as turns (a question and its reply) and the messages the chat template is given for the
 * next generation. A reply goes back as the model wrote it, reasoning and all, as a Hugging Face
 * chat loop sends it: the template itself cuts earlier reasoning (R1's keeps what follows
 * </think>, whitespace included), so the prompt matches theirs token for token. A turn stopped
 * while thinking has no answer to send.
 */
import type { AnswerRecord, TurnRecord } from '../store/chat-history.ts';
import type { ChatMessage } from '../text/chat-template.ts';

export interface Turn {
  user: string;
  /** The generated text as it came; '' while generating or when stopped before </think>. */
  reply: string;
  /** 'failed' turns stay on screen but are not sent to the model again. */
  status: 'pending' | 'done' | 'failed';
  /** Left out of what the model is given, to make room in the context window: shown, not sent. */
  leftOut?: boolean;
}

/**
 * The messages for the chat template: the system prompt, then each answered turn as a question and
 * its answer; the last turn, when it waits for an answer, as its question alone. Earlier failed
 * turns, and turns left out to make room, are not sent.
 */
export function chatMessages(turns: readonly Turn[], systemPrompt: string): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (systemPrompt.trim()) messages.push({ role: 'system', content: systemPrompt });
  turns.forEach((t, i) => {
    const last = i === turns.length - 1;
    // The question asked now always goes, whatever a damaged record says.
    if (t.leftOut && !last) return;
    if (t.status === 'done') messages.push({ role: 'user', content: t.user }, { role: 'assistant', content: t.reply });
    else if (last) messages.push({ role: 'user', content: t.user });
  });
  return messages;
}

/**
 * How many of the oldest turns to leave out so that the conversation measures at most `budget`
 * tokens. The last turn is always kept. `measure(n)` gives the token count with the oldest n turns
 * left out. At least one turn is left out when there is one; null when even the last turn alone is
 * over budget (the question itself is too long).
 */
export async function turnsToLeaveOut(turnCount: number, budget: number, measure: (leftOut: number) => Promise<number>): Promise<number | null> {
  for (let n = Math.min(1, turnCount - 1); n < turnCount; n++) {
    if ((await measure(n)) <= budget) return n;
  }
  return null;
}

// ---- a question's answers ----

/** Every answer a turn has had, in the order they were written; the shown one at its position. */
export function answersOf(turn: TurnRecord): { answers: AnswerRecord[]; shown: number } {
  const others = turn.others ?? [];
  const shown = turn.position ?? others.length;
  const current: AnswerRecord = { reply: turn.reply, status: turn.status === 'done' ? 'done' : 'failed', reasoning: turn.reasoning, answer: turn.answer, thought: turn.thought, notes: turn.notes };
  return { answers: [...others.slice(0, shown), current, ...others.slice(shown)], shown };
}

/** The turn's fields with answer `index` shown, the rest kept as its others. */
export function withAnswerShown(turn: TurnRecord, index: number): Pick<TurnRecord, keyof AnswerRecord | 'others' | 'position'> {
  const { answers, shown } = answersOf(turn);
  const picked = answers[index];
  if (!picked) throw new RangeError(`answer ${index} of ${answers.length}`);
  // The answer left may be one stopped before its first word: not worth a place (as keepForAnotherAnswer).
  const kept = answers.filter((a, i) => i === index || i !== shown || a.reasoning || a.answer);
  const { reply, status, reasoning, answer, thought, notes } = picked;
  return { reply, status, reasoning, answer, thought, notes, others: kept.filter((a) => a !== picked), position: kept.indexOf(picked) };
}

/** The turn's fields before it is answered again: the answer it has joins its others, at the end. */
export function keepForAnotherAnswer(turn: TurnRecord): Pick<TurnRecord, 'others' | 'position'> {
  const { answers, shown } = answersOf(turn);
  // An answer with nothing in it (stopped before the first word) is not worth a place.
  const kept = answers.filter((a, i) => i !== shown || a.reasoning || a.answer);
  return { others: kept, position: kept.length };
}
