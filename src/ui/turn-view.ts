/**
 * One question and its answer on screen. Reasoning streams into a <details> block that is open
 * while the model thinks and collapses to "Thought for N s" when </think> arrives; reasoning and
 * answer are Markdown (sanitized), shown at most once per animation frame while they stream, each
 * time re-rendering only the blocks that changed (markdown-view.ts). The answer
 * has a Copy button (its Markdown) and so has each code block (its text); the question has an Edit
 * button that opens it in place, to be asked again.
 */
import { createMarkdownView, type MarkdownView } from './markdown-view.ts';
import { sendOnEnter } from './text-form.ts';

export interface TurnView {
  addReasoning(text: string): void;
  addAnswer(text: string): void;
  /**
   * Collapses the reasoning block; `answered` is false when the model stopped while still thinking,
   * `seconds` null when its time is unknown (a kept answer cut off by a closed page).
   */
  thinkingDone(seconds: number | null, answered: boolean): void;
  /** A line under the answer: why it stopped, or an error in plain words. */
  note(text: string, kind?: 'info' | 'error'): void;
  /** Takes the notes away (an answer continued past the limit it stopped at). */
  clearNotes(): void;
  /** Says what happens before the first word comes (the prompt being read); gone when text or a note arrives. */
  waiting(text: string): void;
  /** Greys the turn out, saying it is left out of what the model is given (context full), or back. */
  setLeftOut(leftOut: boolean): void;
  /** Offers the question's other answers: "‹ 2 / 3 ›" under the answer (hidden for one answer). */
  showVersions(shown: number, count: number): void;
  /** Renders what is pending now (the stream ended). */
  flush(): void;
  /** Empties the answer for a new attempt (regenerate); the question stays. */
  clearAnswer(): void;
  /** Replaces the question shown (after an edit). */
  setQuestion(text: string): void;
  /** Offers the Edit button or not (not while an answer is being generated); closes an open edit. */
  setEditable(editable: boolean): void;
  remove(): void;
}

/** Whether the messages are scrolled to (about) their end: then the stream is followed. */
export function nearBottom(messages: HTMLElement): boolean {
  return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
}

/** What a turn's controls ask of the chat. */
export interface TurnHooks {
  /** The edited question, asked again. */
  onEdit(text: string): void;
  /** The index of the answer picked with the "‹ ›" buttons. */
  onVersion(index: number): void;
  /** How many turns follow this one (asking it again drops them: the editor says so). */
  turnsAfter(): number;
}

export function createTurnView(messages: HTMLElement, question: string, hooks: TurnHooks): TurnView {
  const doc = messages.ownerDocument;
  const user = doc.createElement('div');
  user.className = 'msg user';
  user.setAttribute('part', 'message user');
  user.textContent = question;
  const edit = createQuestionEditor(doc, user, hooks);
  const assistant = doc.createElement('div');
  assistant.className = 'msg assistant';
  assistant.setAttribute('part', 'message assistant');
  const versions = createVersionPager(doc, (index) => hooks.onVersion(index));
  messages.append(user, edit.actions, edit.form, assistant, versions.element);
  messages.scrollTop = messages.scrollHeight;

  let reasoning = '';
  let answer = '';
  let think: { details: HTMLDetailsElement; summary: HTMLElement; body: MarkdownView } | null = null;
  let answerView: MarkdownView | null = null;
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
    think = { details, summary, body: createMarkdownView(body) };
    return think;
  };

  const answerBlock = () => {
    if (answerView) return answerView;
    const answerEl = doc.createElement('div');
    answerEl.className = 'answer md';
    answerEl.setAttribute('part', 'answer');
    const copy = copyButton(doc, 'Copy answer', () => answer);
    copy.className = 'copy-answer';
    copy.setAttribute('part', 'copy');
    const note = assistant.querySelector('.turn-note');
    assistant.insertBefore(answerEl, note);
    assistant.insertBefore(copy, note);
    answerView = createMarkdownView(answerEl, (block) => addCodeCopyButtons(doc, block));
    return answerView;
  };

  const leftOutLabel = doc.createElement('p');
  const stopWaiting = () => assistant.querySelector('.turn-waiting')?.remove();

  const render = () => {
    frame = 0;
    if (reasoning || answer) stopWaiting();
    // Follow the stream only when the reader is at the bottom already.
    const atBottom = nearBottom(messages);
    if (dirty.reasoning) thinkBlock().body.show(reasoning);
    if (dirty.answer) answerBlock().show(answer);
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
      const time = seconds === null ? 'Thought' : `Thought for ${seconds.toFixed(1)} s`;
      think.summary.textContent = `${time}${answered ? '' : ' (stopped before answering)'}`;
      // Without an answer the reasoning is all there is: it stays open.
      think.details.open = !answered;
    },
    note(text, kind = 'info') {
      stopWaiting();
      const p = doc.createElement('p');
      p.className = `turn-note ${kind}`;
      p.setAttribute('part', 'turn-note');
      p.textContent = text;
      assistant.append(p);
      assistant.classList.toggle('failed', kind === 'error');
    },
    clearNotes() {
      for (const p of assistant.querySelectorAll('.turn-note')) p.remove();
      assistant.classList.remove('failed');
    },
    waiting(text) {
      stopWaiting();
      if (reasoning || answer) return;
      const p = doc.createElement('p');
      p.className = 'turn-waiting';
      p.setAttribute('part', 'turn-waiting');
      p.textContent = text;
      assistant.append(p);
    },
    setLeftOut(leftOut) {
      for (const el of [user, assistant]) el.classList.toggle('left-out', leftOut);
      if (!leftOut) return leftOutLabel.remove();
      leftOutLabel.className = 'left-out-label';
      leftOutLabel.setAttribute('part', 'left-out-label');
      leftOutLabel.textContent = "Left out of the model's context, to make room";
      user.before(leftOutLabel);
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
      answerView = null;
      dirty = { reasoning: false, answer: false };
      assistant.replaceChildren();
      assistant.classList.remove('failed');
    },
    setQuestion(text) {
      user.textContent = text;
    },
    setEditable(editable) {
      edit.setEditable(editable);
      versions.setEnabled(editable);
    },
    showVersions(shown, count) {
      versions.show(shown, count);
    },
    remove() {
      if (frame) cancelAnimationFrame(frame);
      leftOutLabel.remove();
      user.remove();
      edit.actions.remove();
      edit.form.remove();
      assistant.remove();
      versions.element.remove();
    },
  };
}

/**
 * The Edit button under a question and the form that opens in its place: Enter or "Ask again"
 * hands the new text on, Escape or Cancel closes it unchanged.
 */
function createQuestionEditor(doc: Document, user: HTMLElement, hooks: TurnHooks) {
  const actions = doc.createElement('div');
  actions.className = 'question-actions';
  const editButton = doc.createElement('button');
  editButton.type = 'button';
  editButton.textContent = 'Edit';
  editButton.setAttribute('part', 'edit');
  editButton.setAttribute('aria-label', 'Edit this question');
  actions.append(editButton);

  const form = doc.createElement('form');
  form.className = 'edit-question';
  form.setAttribute('part', 'edit-question');
  form.hidden = true;
  const text = doc.createElement('textarea');
  text.rows = 3;
  text.setAttribute('aria-label', 'Edited question');
  const ask = doc.createElement('button');
  ask.textContent = 'Ask again';
  ask.className = 'primary';
  const cancel = doc.createElement('button');
  cancel.type = 'button';
  cancel.textContent = 'Cancel';
  // Said before it happens: asking an earlier question again drops the turns after it.
  const drops = doc.createElement('p');
  drops.className = 'edit-note';
  form.append(text, ask, cancel, drops);

  const close = () => {
    // Focus goes back to the Edit button rather than to the page (Ask again moves it on itself).
    const hadFocus = form.matches(':focus-within');
    form.hidden = true;
    user.hidden = false;
    actions.hidden = false;
    if (hadFocus) editButton.focus();
  };
  editButton.addEventListener('click', () => {
    const after = hooks.turnsAfter();
    drops.textContent = after === 0 ? '' : `Asking again drops the ${after === 1 ? 'turn' : `${after} turns`} after it.`;
    drops.hidden = after === 0;
    text.value = user.textContent ?? '';
    user.hidden = true;
    actions.hidden = true;
    form.hidden = false;
    text.focus();
  });
  const submit = () => {
    const value = text.value.trim();
    if (!value) return;
    close();
    hooks.onEdit(value);
  };
  sendOnEnter(form, text, submit);
  text.addEventListener('keydown', (e) => e.key === 'Escape' && !e.isComposing && close());
  cancel.addEventListener('click', close);
  return {
    actions,
    form,
    setEditable(editable: boolean) {
      if (!editable) close();
      editButton.hidden = !editable;
    },
  };
}

/** "‹ 2 / 3 ›": which of a question's answers is shown; the buttons pick the one before or after. */
function createVersionPager(doc: Document, onVersion: (index: number) => void) {
  const element = doc.createElement('div');
  element.className = 'answer-versions';
  element.setAttribute('part', 'answer-versions');
  element.hidden = true;
  const button = (text: string, label: string) => {
    const b = doc.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', label);
    return b;
  };
  const previous = button('‹', 'Previous answer');
  const next = button('›', 'Next answer');
  const where = doc.createElement('span');
  element.append(previous, where, next);
  let shown = 0;
  let count = 1;
  let enabled = true;
  const update = () => {
    element.hidden = count < 2;
    where.textContent = `${shown + 1} / ${count}`;
    previous.disabled = !enabled || shown === 0;
    next.disabled = !enabled || shown === count - 1;
  };
  previous.addEventListener('click', () => onVersion(shown - 1));
  next.addEventListener('click', () => onVersion(shown + 1));
  return {
    element,
    show(s: number, c: number) {
      shown = s;
      count = c;
      update();
    },
    setEnabled(e: boolean) {
      enabled = e;
      update();
    },
  };
}

/**
 * A Copy button beside each code block. Added after sanitizing, as elements: the rendered HTML
 * itself never carries a button. Beside the <pre>, in a box of its own, so that it stays in view
 * when the code scrolls sideways.
 */
function addCodeCopyButtons(doc: Document, block: DocumentFragment): void {
  for (const pre of block.querySelectorAll('pre')) {
    const copy = copyButton(doc, 'Copy', () => pre.querySelector('code')?.textContent ?? '', 'Copy code');
    copy.className = 'copy-code';
    copy.setAttribute('part', 'copy-code');
    const box = doc.createElement('div');
    box.className = 'code-block';
    pre.replaceWith(box);
    box.append(pre, copy);
  }
}

const COPIED_MS = 1500;

/**
 * A button that puts `text()` on the clipboard and says for a moment whether that worked (in its
 * `ariaLabel` too, when it has one for screen readers).
 */
function copyButton(doc: Document, label: string, text: () => string, ariaLabel?: string): HTMLButtonElement {
  const button = doc.createElement('button');
  button.type = 'button';
  button.textContent = label;
  if (ariaLabel) button.setAttribute('aria-label', ariaLabel);
  let timer = 0;
  button.addEventListener('click', () => {
    const say = (what: string) => {
      button.textContent = what;
      if (ariaLabel) button.setAttribute('aria-label', what);
      clearTimeout(timer);
      timer = window.setTimeout(() => {
        button.textContent = label;
        if (ariaLabel) button.setAttribute('aria-label', ariaLabel);
      }, COPIED_MS);
    };
    // The clipboard needs a secure context and may be refused (permissions, an unfocused page).
    const clipboard = doc.defaultView?.navigator.clipboard;
    if (!clipboard) return say('Copy failed');
    clipboard.writeText(text()).then(
      () => say('Copied'),
      () => say('Copy failed'),
    );
  });
  return button;
}
