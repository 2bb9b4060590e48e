/**
 * A chat as turns (a question and its reply) and the messages the chat template is given for the
 * next generation. A reply goes back as the model wrote it, reasoning and all, as a Hugging Face
 * chat loop sends it: the template itself cuts earlier reasoning (R1's keeps what follows
 * </think>, whitespace included), so the prompt matches theirs token for token. A turn stopped
 * while thinking has no answer to send.
 */
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
    if (t.leftOut) return;
    if (t.status === 'done') messages.push({ role: 'user', content: t.user }, { role: 'assistant', content: t.reply });
    else if (i === turns.length - 1) messages.push({ role: 'user', content: t.user });
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
