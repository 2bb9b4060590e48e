/**
 * One question and its answer on screen. Reasoning streams into a <details> block that is open
 * while the model thinks and collapses to "Thought for N s" when </think> arrives; the answer is
 * Markdown re-rendered (sanitized) at most once per animation frame while it streams.
 */
import { renderMarkdown } from './markdown.ts';

export interface TurnView {
  addReasoning(text: string): void;
  addAnswer(text: string): void;
  /** Collapses the reasoning block; `answered` is false when the model stopped while still thinking. */
  thinkingDone(seconds: number, answered: boolean): void;
  /** A line under the answer: why it stopped, or an error in plain words. */
  note(text: string, kind?: 'info' | 'error'): void;
  /** Renders what is pending now (the stream ended). */
  flush(): void;
  /** Empties the answer for a new attempt (regenerate); the question stays. */
  clearAnswer(): void;
  remove(): void;
}

export function createTurnView(messages: HTMLElement, question: string): TurnView {
  const doc = messages.ownerDocument;
  const user = doc.createElement('div');
  user.className = 'msg user';
  user.setAttribute('part', 'message user');
  user.textContent = question;
  const assistant = doc.createElement('div');
  assistant.className = 'msg assistant';
  assistant.setAttribute('part', 'message assistant');
  messages.append(user, assistant);
  messages.scrollTop = messages.scrollHeight;

  let reasoning = '';
  let answer = '';
  let think: { details: HTMLDetailsElement; summary: HTMLElement; body: HTMLElement } | null = null;
  let answerEl: HTMLElement | null = null;
  let dirty = { reasoning: false, answer: false };
  let frame = 0;

  const thinkBlock = () => {
    if (think) return think;
    const details = doc.createElement('details');
    details.className = 'thinking';
    details.setAttribute('part', 'thinking');
    details.open = true;
    const summary = doc.createElement('summary');
    summary.setAttribute('part', 'thinking-summary');
    summary.textContent = 'Thinking…';
    const body = doc.createElement('div');
    body.className = 'reasoning md';
    details.append(summary, body);
    assistant.prepend(details);
    think = { details, summary, body };
    return think;
  };

  const answerBlock = () => {
    if (answerEl) return answerEl;
    answerEl = doc.createElement('div');
    answerEl.className = 'answer md';
    answerEl.setAttribute('part', 'answer');
    const note = assistant.querySelector('.turn-note');
    assistant.insertBefore(answerEl, note);
    return answerEl;
  };

  const render = () => {
    frame = 0;
    // Follow the stream only when the reader is at the bottom already.
    const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
    if (dirty.reasoning) thinkBlock().body.innerHTML = renderMarkdown(reasoning);
    if (dirty.answer) answerBlock().innerHTML = renderMarkdown(answer);
    dirty = { reasoning: false, answer: false };
    if (atBottom) messages.scrollTop = messages.scrollHeight;
  };

  const schedule = () => {
    frame ||= requestAnimationFrame(render);
  };

  return {
    addReasoning(text) {
      if (!text) return;
      reasoning += text;
      thinkBlock();
      dirty.reasoning = true;
      schedule();
    },
    addAnswer(text) {
      if (!text) return;
      answer += text;
      dirty.answer = true;
      schedule();
    },
    thinkingDone(seconds, answered) {
      if (!think) return;
      think.summary.textContent = `Thought for ${seconds.toFixed(1)} s${answered ? '' : ' (stopped before answering)'}`;
      think.details.open = false;
    },
    note(text, kind = 'info') {
      const p = doc.createElement('p');
      p.className = `turn-note ${kind}`;
      p.setAttribute('part', 'turn-note');
      p.textContent = text;
      assistant.append(p);
      assistant.classList.toggle('failed', kind === 'error');
    },
    flush() {
      if (frame) cancelAnimationFrame(frame);
      render();
    },
    clearAnswer() {
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      reasoning = answer = '';
      think = null;
      answerEl = null;
      dirty = { reasoning: false, answer: false };
      assistant.replaceChildren();
      assistant.classList.remove('failed');
    },
    remove() {
      if (frame) cancelAnimationFrame(frame);
      user.remove();
      assistant.remove();
    },
  };
}
