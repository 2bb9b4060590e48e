/**
 * <r1-chat>: a chat with a DeepSeek-R1-Distill model, embeddable in any page.
 *
 *   <r1-chat model="owner/name" system-prompt="…" temperature="0.6" top-p="0.95" max-new-tokens="4096" theme="auto">
 *
 * `theme`: light (the default), dark, or auto (the system's choice).
 *
 * Property `engine`: the RuntimeEngine to use (elements given the same engine share its model and
 * take turns generating); by default the page's shared worker engine. Events (bubbling, composed):
 * `ready` (ModelInfo), `token` ({ text, reasoning, answer }), `thinking-done` (seconds), `done`
 * (GenerationStats), `error` ({ name, message }), `conversation-change` (TurnRecord[], when a
 * turn starts or ends, each second while it streams, when turns are dropped or the chat is cleared).
 * Property `conversation`: the turns as records, to keep; setting it shows kept turns again (the
 * app's chat history). Styling: see chat-style.ts. When the engine loses its GPU or its worker, the status line says so and follows
 * the reload; the cut-off answer offers Retry.
 */
import type { EngineEvent, ModelInfo, RuntimeEngine } from '../engine/api.ts';
import type { GenerationStats } from '../engine/engine.ts';
import type { GenerateOptions } from '../engine/settings.ts';
import { copyTurn, type TurnNote, type TurnRecord } from '../store/chat-history.ts';
import { templateOpensThink } from '../text/chat-template.ts';
import { createThinkParser, type ThinkDelta } from '../text/think-parser.ts';
import { CHAT_CSS, installMathFonts } from './chat-style.ts';
import { answersOf, chatMessages, keepForAnotherAnswer, turnsToLeaveOut, withAnswerShown } from './conversation.ts';
import { withEngineLock } from './engine-lock.ts';
import { heldModel, loadModel, reloadModel } from './engine-model.ts';
import { errorDetail, explainError } from './explain-error.ts';
import { createProgressMeter } from './progress-meter.ts';
import { sharedEngine } from './shared-engine.ts';
import { sendOnEnter } from './text-form.ts';
import { createTurnView, nearBottom, type TurnView } from './turn-view.ts';

const TEMPLATE = `
  <div class="status" part="status" hidden><progress></progress><span class="status-text"></span></div>
  <div class="messages-box">
    <div class="messages" part="messages" id="messages" role="log" aria-live="polite" aria-label="Conversation"></div>
    <button type="button" class="to-latest" part="to-latest" hidden>↓ Latest</button>
  </div>
  <div class="notice" part="notice" role="alert" hidden>
    <p class="notice-text"></p>
    <button type="button" class="notice-continue">Continue</button>
    <button type="button" class="notice-retry">Retry</button>
    <button type="button" class="notice-reload">Reload model</button>
    <button type="button" class="notice-new">New chat</button>
    <button type="button" class="notice-drop">Leave out oldest turns</button>
  </div>
  <form class="composer" part="composer">
    <textarea id="input" part="input" rows="2" placeholder="Ask something… (Enter sends, Shift+Enter for a new line)" aria-label="Message"></textarea>
    <button id="send" part="send" class="primary">Send</button>
    <button id="stop" part="stop" type="button" hidden>Stop</button>
    <button id="regenerate" part="regenerate" type="button" disabled>Regenerate</button>
    <button id="new-chat" part="new-chat" type="button">New chat</button>
  </form>
  <p id="stats" class="stats" part="stats" aria-live="polite"></p>`;

/** Where an answer stopped at its token limit, to continue from: this page's memory only. */
interface Continuation {
  /** The prompt and every token generated for it so far. */
  ids: number[];
  /** How many of `ids` were generated. */
  generated: number;
  /** The text generated so far, as it came (reasoning, </think>, answer). */
  output: string;
  startsInThink: boolean;
  /** Seconds spent thinking so far (while the answer has not begun). */
  thinkingSeconds: number;
  /** What the think parser held back (a tag begun?) and showed as text at the stop: the parser goes on from before it. */
  flushed: ThinkDelta;
  /** The model that wrote it: ids mean nothing to another. */
  model: ModelInfo | null;
}

const NOTICE_ACTIONS = ['continue', 'retry', 'reload', 'new', 'drop'] as const;
type NoticeAction = (typeof NOTICE_ACTIONS)[number];

type ChatTurn = TurnRecord & { view: TurnView; continuation?: Continuation };

/**
 * New tokens per answer when the page does not say: R1 often thinks for thousands of tokens before
 * it answers (the engine's own default, 512, suits scripts). An answer that reaches it can go on (Continue).
 */
const DEFAULT_MAX_NEW_TOKENS = 4096;

/** How often a streaming answer is announced (`conversation-change`) for keeping. */
const CHANGE_INTERVAL_MS = 1000;

export class R1ChatElement extends HTMLElement {
  static readonly observedAttributes = ['model'];
  private engineRef: RuntimeEngine | null = null;
  private turns: ChatTurn[] = [];
  private running: AbortController | null = null;
  private readonly root: ShadowRoot;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.innerHTML = `<style>${CHAT_CSS}</style>${TEMPLATE}`;
    // A page may set `engine` before this element was defined: that value shadows the accessor.
    if (Object.prototype.hasOwnProperty.call(this, 'engine')) {
      const early = (this as unknown as { engine: RuntimeEngine }).engine;
      delete (this as unknown as { engine?: RuntimeEngine }).engine;
      this.engineRef = early;
    }
    this.wire();
  }

  get engine(): RuntimeEngine {
    this.engineRef ??= sharedEngine();
    this.watchEngine();
    return this.engineRef;
  }

  set engine(engine: RuntimeEngine) {
    this.engineRef = engine;
    this.watchEngine();
    this.scheduleLoad();
  }

  connectedCallback(): void {
    installMathFonts(this.ownerDocument);
    this.watchEngine();
    this.scheduleLoad();
  }

  disconnectedCallback(): void {
    // A removed chat must not keep a shared engine busy, nor loading a model only it wanted.
    this.stop();
    this.modelRequest?.controller.abort();
    this.modelRequest = null;
    this.watchEngine();
  }

  attributeChangedCallback(): void {
    this.scheduleLoad();
  }

  /** Whether an answer is being generated (or waits for the engine). */
  get generating(): boolean {
    return this.running !== null;
  }

  /** Whether an earlier question is open for editing. */
  get editing(): boolean {
    return this.root.querySelector('.edit-question:not([hidden])') !== null;
  }

  /** The conversation as records: what a page keeps to show it again later. */
  get conversation(): TurnRecord[] {
    return this.turns.map(copyTurn);
  }

  /**
   * Shows kept turns in place of the conversation (a generation under way stops, and its turns are
   * announced once more as stopped). A turn that was still being answered when it was kept is shown
   * as interrupted, to be regenerated.
   */
  set conversation(records: readonly TurnRecord[]) {
    this.clearTurns();
    this.turns = records.map((r) => this.restoreTurn(r));
    this.updateButtons();
  }

  /**
   * Asks the model; the answer streams into the chat. False when nothing was asked: another answer
   * is under way, the text is empty, or no model is loaded (a notice says so; no turn is kept).
   */
  async send(text: string): Promise<boolean> {
    if (this.running || !text.trim()) return false;
    this.turns.push(this.newTurn({ user: text, ...unanswered() }));
    return this.generate({ fresh: true });
  }

  /** Asks an earlier question again, as edited: the turns after it are dropped. */
  async editQuestion(index: number, text: string): Promise<void> {
    const turn = this.turns[index];
    if (this.running || !turn || !text.trim()) return;
    // Nothing is dropped until a model can answer: a kept chat shown before any load stays whole.
    if (!(await this.hasModel()) || this.running || !this.turns.includes(turn)) return;
    for (const t of this.turns.splice(this.turns.indexOf(turn) + 1)) t.view.remove();
    turn.user = text;
    turn.view.setQuestion(text);
    turn.view.clearAnswer();
    // Another question: the answers to the old one are not its answers.
    delete turn.others;
    delete turn.position;
    turn.view.showVersions(0, 1);
    // Asked again, it is the last turn: whatever was left out before it stays out, it goes in.
    turn.leftOut = false;
    turn.view.setLeftOut(false);
    this.$('input').focus();
    await this.generate();
  }

  /** Stops the generation under way (or waiting for the engine). */
  stop(): void {
    this.running?.abort();
  }

  /** Writes more of the last answer, which stopped at its token limit (`max-new-tokens`). */
  async continueAnswer(): Promise<void> {
    const last = this.turns.at(-1);
    const resume = last?.continuation;
    if (this.running || !last || !resume) return;
    const info = await this.modelInfo(this.engine).catch(() => null);
    // Another answer shown, or another question asked, while the model was looked for.
    if (this.running || this.turns.at(-1) !== last || last.continuation !== resume) return;
    if (info !== resume.model) {
      last.continuation = undefined;
      this.showNotice('The model changed since this answer stopped, so it cannot go on: Regenerate asks the new one.', []);
      return;
    }
    await this.generate({ resume });
  }

  /** Answers the last question again; the answer it had stays among its answers ("‹ ›"). */
  async regenerate(): Promise<void> {
    const last = this.turns.at(-1);
    if (this.running || !last) return;
    // The answer there stays until a model can give another.
    if (!(await this.hasModel()) || this.running || this.turns.at(-1) !== last) return;
    Object.assign(last, keepForAnotherAnswer(last));
    last.view.clearAnswer();
    last.view.showVersions(last.position!, last.position! + 1);
    await this.generate();
  }

  /** Shows another of a question's answers; it is the one the model is given from then on. */
  showAnswer(index: number, answer: number): void {
    const turn = this.turns[index];
    if (this.running || !turn || !answersOf(turn).answers[answer]) return;
    Object.assign(turn, withAnswerShown(turn, answer));
    turn.continuation = undefined;
    turn.view.clearAnswer();
    this.renderAnswer(turn, turn);
    this.hideNotice();
    this.changed();
  }

  /** Forgets the conversation, here and in the engine's cache (a generation under way stops, announced as stopped). */
  async newChat(): Promise<void> {
    this.clearTurns();
    this.updateButtons();
    this.changed();
    const engine = this.engineRef;
    if (engine) await withEngineLock(engine, () => engine.reset()).catch((e: unknown) => this.emit('error', errorDetail(e)));
  }

  // ---- generation ----

  /** Whether a model is loaded (or loading, then waited for); says so in a notice when none is. */
  private async hasModel(): Promise<boolean> {
    const info = await this.modelInfo(this.engine).catch(() => null);
    if (!info) this.showNotice('No model is loaded: open one, then ask again. The conversation is kept as it is.', []);
    return info !== null;
  }

  /**
   * Ends the generation under way for a conversation about to be replaced: its turn is marked
   * stopped and the turns announced once more, so that a page keeps them as they ended. The stopped
   * generation winds down behind the engine lock; this chat is free at once.
   */
  private abandon(): void {
    if (!this.running) return;
    this.running.abort();
    this.running = null;
    const turn = this.turns.at(-1);
    if (turn?.status !== 'pending') return;
    turn.view.flush();
    turn.status = 'failed';
    this.note(turn, 'Stopped.');
    this.changed();
  }

  /** Takes every turn off the screen, stopping (and announcing as stopped) a generation under way. */
  private clearTurns(): void {
    this.abandon();
    for (const t of this.turns) t.view.remove();
    this.turns = [];
    this.$('stats').textContent = '';
    this.hideNotice();
  }

  /**
   * Answers the last turn: anew, or continuing where it stopped (`resume`). A `fresh` turn (just
   * asked) is taken back when there turns out to be no model to ask, and its text goes back to the
   * message box. Says whether an answer was started.
   */
  private async generate(how: { fresh?: boolean; resume?: Continuation } = {}): Promise<boolean> {
    const turn = this.turns.at(-1)!;
    const engine = this.engine;
    const controller = new AbortController();
    this.running = controller;
    if (how.resume) {
      // The answer so far stays an answer (sent back to the model, kept) whatever happens to the rest.
      turn.notes = [];
      turn.view.clearNotes();
    } else {
      Object.assign(turn, unanswered());
    }
    turn.continuation = undefined;
    turn.view.waiting('Reading the conversation…');
    this.hideNotice();
    if (this.recoveryShown) this.hideStatus();
    this.$('stats').textContent = '';
    this.updateButtons();
    let stats: GenerationStats | null = null;
    let info: ModelInfo | null = null;
    // After "New chat" an ending generation belongs to a conversation that is gone: it shows nothing.
    const gone = () => !this.turns.includes(turn);
    try {
      try {
        info = await this.modelInfo(engine);
      } catch (e) {
        // The load it waited for failed or was stopped: a question just asked goes back to the box.
        if (!how.fresh) throw e;
        this.takeBack(turn, e);
        return false;
      }
      stats = await withEngineLock(engine, () => this.stream(engine, turn, controller.signal, info, how.resume), controller.signal);
      if (gone()) return true;
      turn.status = 'done';
      turn.view.flush();
      this.finished(turn, stats, info);
    } catch (e) {
      if (gone()) return true;
      const { name } = errorDetail(e);
      if (name === 'EngineNotLoadedError' && how.fresh) {
        this.takeBack(turn);
        return false;
      }
      turn.view.flush();
      if (!how.resume) turn.status = 'failed';
      this.note(turn, explainError(e), name === 'AbortError' ? 'info' : 'error');
      if (name !== 'AbortError') this.emit('error', errorDetail(e));
      if (name === 'ContextOverflowError') {
        this.contextNotice(`This conversation is longer than the model's context window${info ? ` (${info.contextLength} tokens)` : ''}.`);
      }
      if (name === 'GpuDeviceLostError' || name === 'WorkerCrashedError') {
        const again = turn.continuation ? 'Continue goes on where it stopped' : 'Retry asks the last question again';
        this.showNotice(`The answer was cut off, but the conversation is kept: the model is loading again by itself. ${again} as soon as it is ready.`, [turn.continuation ? 'continue' : 'retry']);
      } else if (turn.continuation) {
        this.showNotice('The answer can still go on where it stopped.', ['continue']);
      }
    } finally {
      if (this.running === controller) this.running = null;
      this.updateButtons();
      if (!gone()) this.changed();
    }
    return true;
  }

  /**
   * A question just asked, with no model to answer it: off the screen, its text back in the box. `e`:
   * why the model it waited for did not load (a load stopped on purpose needs no explaining).
   */
  private takeBack(turn: ChatTurn, e?: unknown): void {
    this.turns.splice(this.turns.indexOf(turn), 1);
    turn.view.remove();
    const input = this.$<HTMLTextAreaElement>('input');
    if (!input.value.trim()) input.value = turn.user;
    const failed = e !== undefined && errorDetail(e).name !== 'AbortError';
    if (failed) this.emit('error', errorDetail(e));
    this.showNotice(`${failed ? explainError(e) : 'No model is loaded: open one, then ask again.'} Your message is back in the box.`, []);
    // Kept chats lose it too, had it been announced (an engine that fails only when generating).
    this.changed();
  }

  /**
   * A notice for a conversation too long for the context window: a new chat, or (when there are
   * earlier turns still sent) leaving the oldest out.
   */
  private contextNotice(what: string): void {
    const earlier = this.turns.slice(0, -1).some((t) => !t.leftOut);
    this.showNotice(earlier ? `${what} Start a new chat, or leave the oldest turns out of what the model is given (they stay here).` : `${what} Start a new chat with a shorter message.`, earlier ? ['new', 'drop'] : ['new']);
  }

  /** One generation, holding the engine: prompt, tokens, the stream split into reasoning and answer. */
  private async stream(engine: RuntimeEngine, turn: ChatTurn, signal: AbortSignal, model: ModelInfo | null, resume?: Continuation): Promise<GenerationStats> {
    let ids: number[];
    let startsInThink: boolean;
    if (resume) {
      ({ ids, startsInThink } = resume);
    } else {
      const prompt = await engine.renderChat(chatMessages(this.turns, this.getAttribute('system-prompt') ?? ''));
      ids = await engine.encode(prompt);
      startsInThink = templateOpensThink(prompt);
    }
    // Announced once the prompt is known to be askable (a model is loaded).
    this.changed();
    const parser = createThinkParser({ startsInThink });
    // A continued answer goes on from the parser's state at its end; its text is on screen already,
    // but for what the parser held back and showed at the stop: that is taken back, to come again
    // as text or turn out a tag.
    let output = resume?.output ?? '';
    parser.push(output);
    if (resume) {
      turn.reasoning = turn.reasoning.slice(0, turn.reasoning.length - resume.flushed.reasoning.length);
      turn.answer = turn.answer.slice(0, turn.answer.length - resume.flushed.answer.length);
      turn.view.clearAnswer();
      turn.view.addReasoning(turn.reasoning);
      turn.view.addAnswer(turn.answer);
      if (!parser.thinking && turn.thought) turn.view.thinkingDone(turn.thought.seconds, turn.thought.answered);
    }
    turn.view.waiting(resume ? 'Continuing…' : `Reading the conversation (${ids.length} tokens)…`);
    const t0 = performance.now() - (resume?.thinkingSeconds ?? 0) * 1000;
    let thinking = parser.thinking;
    let reasoned = turn.reasoning.length > 0;
    const generated: number[] = [];
    const apply = (d: ThinkDelta) => {
      reasoned ||= d.reasoning.length > 0;
      turn.reasoning += d.reasoning;
      turn.answer += d.answer;
      turn.view.addReasoning(d.reasoning);
      turn.view.addAnswer(d.answer);
    };
    let stats: GenerationStats | null = null;
    /** The decoder's last bytes, sent after the tokens: an unfinished character, unless the answer ended. */
    let tail = '';
    const continues = resume ? { continuesIds: resume.generated } : {};
    try {
      for await (const chunk of engine.generate(ids, { ...this.settings(), ...continues, signal })) {
        if (chunk.type === 'done') {
          stats = chunk.stats;
          continue;
        }
        // Chunks the engine sent before it saw the stop, for a conversation replaced since: nothing to show.
        if (!this.turns.includes(turn)) continue;
        if (chunk.id < 0) {
          tail += chunk.text;
          continue;
        }
        generated.push(chunk.id);
        output += chunk.text;
        const d = parser.push(chunk.text);
        apply(d);
        if (thinking && !parser.thinking) {
          const seconds = (performance.now() - t0) / 1000;
          if (reasoned) this.thought(turn, seconds, true);
          this.emit('thinking-done', seconds);
        }
        thinking = parser.thinking;
        // Text that arrived: not the end of sequence, nor a token holding part of a character.
        if (chunk.text) this.emit('token', { text: chunk.text, ...d });
        // A continued answer is an answer all along: what goes back to the model follows it.
        if (resume) turn.reply = parser.thinking ? '' : output;
        // A page closed mid-answer keeps what was shown up to the last second.
        if (performance.now() - this.lastChange >= CHANGE_INTERVAL_MS) this.changed();
      }
    } catch (e) {
      if (this.turns.includes(turn)) {
        // Cut off: what the parser held back is text; a continuation that wrote nothing can be tried again.
        apply(parser.finish());
        if (resume && generated.length === 0) turn.continuation = resume;
      }
      throw e;
    }
    if (!stats) throw new GenerationIncompleteError('the engine ended the stream without its statistics');
    // Stopped at the limit, the last character may be unfinished: its bytes come with Continue.
    const goesOn = stats.finishReason === 'length';
    if (tail && !goesOn) {
      output += tail;
      apply(parser.push(tail));
    }
    const stillThinking = parser.thinking;
    const thinkingSeconds = (performance.now() - t0) / 1000;
    const flushed = parser.finish();
    apply(flushed);
    turn.reply = stillThinking ? '' : output;
    if (thinking && reasoned) this.thought(turn, thinkingSeconds, false);
    if (goesOn) {
      const all = [...ids, ...generated];
      turn.continuation = { ids: all, generated: (resume?.generated ?? 0) + generated.length, output, startsInThink, thinkingSeconds: stillThinking ? thinkingSeconds : 0, flushed, model };
    }
    return stats;
  }

  private finished(turn: ChatTurn, stats: GenerationStats, info: ModelInfo | null): void {
    const ctx = info?.contextLength;
    if (stats.finishReason === 'abort') this.note(turn, 'Stopped.');
    if (stats.finishReason === 'length') {
      this.note(turn, `Stopped at the limit of ${stats.generatedTokens} new tokens.`);
      this.showNotice(`The answer reached the limit of ${stats.generatedTokens} new tokens${turn.answer ? '' : ' while the model was still thinking'}. Continue writes more.`, ['continue']);
    }
    if (stats.finishReason === 'context-full') {
      this.note(turn, 'Cut off: the context window is full.');
      this.contextNotice(`The conversation filled the model's context window${ctx ? ` (${ctx} tokens)` : ''}, so the answer was cut off.`);
    }
    const tps = stats.generatedTokens > 1 && stats.decodeMs > 0 ? ((stats.generatedTokens - 1) / stats.decodeMs) * 1000 : 0;
    const used = stats.promptTokens + stats.generatedTokens;
    this.$('stats').textContent =
      `${stats.generatedTokens} tokens at ${tps.toFixed(1)} tok/s · prefilled ${stats.prefilledTokens} of ${stats.promptTokens} prompt tokens · ` +
      `context used ${used}${ctx ? ` of ${ctx}` : ''} tokens`;
    this.emit('done', stats);
  }

  /**
   * Leaves the oldest turns out of what the model is given (they stay on screen and in the records)
   * until the conversation leaves room for an answer: `max-new-tokens`, at most half the window.
   * Asks the last question again if it failed.
   */
  private async leaveOutOldestTurns(): Promise<void> {
    if (this.running) return;
    const engine = this.engine;
    const info = await heldModel(engine)?.catch(() => null);
    const system = this.getAttribute('system-prompt') ?? '';
    const sent = this.turns.filter((t) => !t.leftOut);
    const measure = async (n: number) => (await engine.encode(await engine.renderChat(chatMessages(sent.slice(n), system)))).length;
    const ctx = info?.contextLength ?? Infinity;
    const room = Math.min(this.settings().maxNewTokens ?? Infinity, ctx / 2);
    try {
      const n = await turnsToLeaveOut(sent.length, ctx - room, measure);
      if (n === null) {
        this.showNotice('Your last message alone leaves too little room for an answer in the context window: start a new chat with a shorter message.', ['new']);
        return;
      }
      for (const t of sent.slice(0, n)) {
        t.leftOut = true;
        t.view.setLeftOut(true);
      }
      this.changed();
      this.hideNotice();
      if (this.turns.at(-1)?.status === 'failed') await this.regenerate();
    } catch (e) {
      this.showNotice(explainError(e), ['new', 'drop']);
    } finally {
      this.updateButtons();
    }
  }

  // ---- turn records ----

  private note(turn: ChatTurn, text: string, kind: TurnNote['kind'] = 'info'): void {
    turn.notes.push({ text, kind });
    turn.view.note(text, kind);
  }

  private thought(turn: ChatTurn, seconds: number, answered: boolean): void {
    turn.thought = { seconds, answered };
    turn.view.thinkingDone(seconds, answered);
  }

  /** A turn on screen for this record; its Edit button edits it wherever it is in the chat then. */
  private newTurn(r: TurnRecord): ChatTurn {
    const turn = { ...r } as ChatTurn;
    turn.view = createTurnView(this.$('messages'), r.user, {
      onEdit: (text) => void this.editQuestion(this.turns.indexOf(turn), text),
      onVersion: (answer) => this.showAnswer(this.turns.indexOf(turn), answer),
      turnsAfter: () => this.turns.length - 1 - this.turns.indexOf(turn),
    });
    turn.view.setEditable(!this.running);
    return turn;
  }

  private restoreTurn(r: TurnRecord): ChatTurn {
    const turn = this.newTurn({ ...copyTurn(r), status: r.status === 'pending' ? 'failed' : r.status });
    this.renderAnswer(turn, r);
    if (r.status === 'pending') this.note(turn, 'Interrupted: the page closed before this answer was finished. Regenerate asks again.', 'error');
    if (r.leftOut) turn.view.setLeftOut(true);
    turn.view.flush();
    return turn;
  }

  /** Shows a finished answer (`r`'s) in the turn's emptied view, with its notes and the "‹ ›" pager. */
  private renderAnswer(turn: ChatTurn, r: Pick<TurnRecord, 'reasoning' | 'answer' | 'thought' | 'notes'>): void {
    const view = turn.view;
    const notes = r.notes;
    turn.notes = [];
    view.addReasoning(r.reasoning);
    view.addAnswer(r.answer);
    if (r.thought) view.thinkingDone(r.thought.seconds, r.thought.answered);
    else if (r.reasoning) view.thinkingDone(null, false);
    for (const n of notes) this.note(turn, n.text, n.kind);
    const { answers, shown } = answersOf(turn);
    view.showVersions(shown, answers.length);
    view.flush();
  }

  private lastChange = 0;

  private changed(): void {
    this.lastChange = performance.now();
    this.emit('conversation-change', this.conversation);
  }

  // ---- model ----

  private loadTimer = 0;
  /** The load whose outcome this element shows (and announces with `ready`). */
  private watchedLoad: Promise<ModelInfo> | null = null;

  /** Loads the `model` attribute's model, after the current task so that a page can set `engine` first. */
  private scheduleLoad(): void {
    clearTimeout(this.loadTimer);
    this.loadTimer = window.setTimeout(() => {
      // Errors show in the status line; without a model attribute there is nothing to load yet.
      if (this.getAttribute('model') && this.isConnected) this.modelInfo(this.engine).catch(() => {});
    });
  }

  /** The model of the `model` attribute (loading it when needed), or what the engine was given elsewhere. */
  private modelInfo(engine: RuntimeEngine): Promise<ModelInfo | null> {
    const model = this.getAttribute('model');
    if (!model || !this.isConnected) return heldModel(engine) ?? Promise.resolve(null);
    // Another model named (or another engine given) since: this element no longer wants the one it
    // asked for before, which stops loading unless another element wants it too.
    if (this.modelRequest?.model !== model || this.modelRequest.engine !== engine) {
      this.modelRequest?.controller.abort();
      this.modelRequest = { engine, model, controller: new AbortController() };
    }
    const meter = createProgressMeter();
    const info = loadModel(engine, model, { signal: this.modelRequest.controller.signal }, (p) => {
      const v = meter(p);
      if (this.watchedLoad === info) this.showStatus(v.text, v.fraction);
    });
    if (info !== this.watchedLoad) {
      this.watchedLoad = info;
      this.showStatus('Opening the model…', null);
      info.then(
        (i) => {
          if (this.watchedLoad !== info) return;
          this.hideStatus();
          this.emit('ready', i);
        },
        (e: unknown) => {
          // A load given up for another one is not news.
          if (this.watchedLoad !== info) return;
          this.showStatus(explainError(e), null, true);
          this.emit('error', errorDetail(e));
        },
      );
    }
    return info;
  }

  /** The model this element asked its engine for, and the way to say it no longer wants it. */
  private modelRequest: { engine: RuntimeEngine; model: string; controller: AbortController } | null = null;

  private settings(): GenerateOptions {
    const num = (name: string) => {
      const v = this.getAttribute(name);
      return v === null || v.trim() === '' ? undefined : Number(v);
    };
    return { temperature: num('temperature'), topP: num('top-p'), maxNewTokens: num('max-new-tokens') ?? DEFAULT_MAX_NEW_TOKENS };
  }

  // ---- engine losses ----

  private watched: { engine: RuntimeEngine; stop: () => void } | null = null;
  private recoveryMeter = createProgressMeter();
  /** The status line shows a loss or recovery (hidden when the next answer starts). */
  private recoveryShown = false;

  /** Listens to this element's engine, while connected, for lost GPUs or workers and the reloads after them. */
  private watchEngine(): void {
    const engine = this.isConnected ? this.engineRef : null;
    if (this.watched?.engine === engine) return;
    this.watched?.stop();
    this.watched = null;
    const stop = engine?.onEvent?.((e) => this.onEngineEvent(e));
    if (engine && stop) this.watched = { engine, stop };
  }

  private onEngineEvent(e: EngineEvent): void {
    const loss = (cause: EngineEvent['cause'], message: string) =>
      cause === 'device' ? `The GPU device was lost (${message.replace(/\.$/, '')})` : `The engine's worker stopped: ${message.replace(/^the engine's worker /, '')}`;
    this.recoveryShown = true;
    switch (e.type) {
      case 'lost':
        this.recoveryMeter = createProgressMeter();
        if (e.reloading) this.showStatus(`${loss(e.cause, e.error.message)}. Loading the model again; the conversation is kept…`, null);
        else this.showStatus(`${loss(e.cause, e.error.message)}.`, null, true);
        break;
      case 'reloading': {
        const v = this.recoveryMeter(e.progress);
        this.showStatus(`Loading the model again after ${e.cause === 'device' ? 'the GPU was lost' : 'the engine stopped'}: ${v.text}`, v.fraction);
        break;
      }
      case 'recovered':
        this.showStatus(`The model is loaded again after ${e.cause === 'device' ? 'the GPU was lost' : 'the engine stopped'}; the conversation is kept.`, null, false, false);
        break;
      case 'recovery-failed':
        this.showStatus(`The model could not be loaded again: ${explainError(e.error)}`, null, true);
        this.showNotice('The model is not loaded any more. Reload it to carry on with this conversation.', ['reload', 'new']);
        this.emit('error', e.error);
        break;
    }
  }

  /** Loads the model again after a failed recovery; the conversation stays. */
  private async reloadModel(): Promise<void> {
    const meter = createProgressMeter();
    const info = reloadModel(this.engine, (p) => {
      const v = meter(p);
      this.showStatus(`Loading the model again: ${v.text}`, v.fraction);
    });
    if (!info) {
      this.showNotice('This chat does not know which model to load: pick it again.', ['new']);
      return;
    }
    this.hideNotice();
    this.showStatus('Loading the model again…', null);
    try {
      await info;
      this.showStatus('The model is loaded again; the conversation is kept.', null, false, false);
    } catch (e) {
      this.showStatus(explainError(e), null, true);
      this.showNotice('The model could not be loaded again.', ['reload', 'new']);
    }
  }

  // ---- view ----

  private $<T extends HTMLElement = HTMLElement>(id: string): T {
    return this.root.getElementById(id) as T;
  }

  private wire(): void {
    const input = this.$<HTMLTextAreaElement>('input');
    const submit = () => {
      const text = input.value.trim();
      if (!text || this.running) return;
      input.value = '';
      // The Send button is disabled while the answer streams: the box keeps the focus instead.
      input.focus();
      void this.send(text);
    };
    sendOnEnter(this.root.querySelector('form')!, input, submit);
    this.$('stop').addEventListener('click', () => {
      this.stop();
      input.focus();
    });
    // Escape stops the answer under way, from anywhere in the chat (an open question editor closes first).
    this.root.addEventListener('keydown', (e) => {
      const key = e as KeyboardEvent;
      if (key.key === 'Escape' && !key.isComposing && this.running && !(key.target as HTMLElement | null)?.closest?.('.edit-question')) this.stop();
    });
    this.$('regenerate').addEventListener('click', () => void this.regenerate());
    this.$('new-chat').addEventListener('click', () => void this.newChat());
    // Scrolled up to read, the reader is not pulled down by the stream; this button takes them back.
    // At the bottom, they stay there when the messages get shorter (a notice, the stats line below).
    const messages = this.$('messages');
    const toLatest = this.root.querySelector<HTMLButtonElement>('.to-latest')!;
    let pinned = true;
    const placeToLatest = () => (toLatest.hidden = nearBottom(messages));
    messages.addEventListener('scroll', () => ((pinned = nearBottom(messages)), placeToLatest()), { passive: true });
    new ResizeObserver(() => {
      if (pinned) messages.scrollTop = messages.scrollHeight;
      placeToLatest();
    }).observe(messages);
    new MutationObserver(placeToLatest).observe(messages, { childList: true, subtree: true, characterData: true });
    toLatest.addEventListener('click', () => messages.scrollTo({ top: messages.scrollHeight }));
    this.root.querySelector('.notice-new')!.addEventListener('click', () => void this.newChat());
    this.root.querySelector('.notice-drop')!.addEventListener('click', () => void this.leaveOutOldestTurns());
    this.root.querySelector('.notice-continue')!.addEventListener('click', () => void this.continueAnswer());
    this.root.querySelector('.notice-retry')!.addEventListener('click', () => void this.regenerate());
    this.root.querySelector('.notice-reload')!.addEventListener('click', () => void this.reloadModel());
  }

  private updateButtons(): void {
    const busy = this.running !== null;
    this.$('messages').setAttribute('aria-busy', String(busy));
    this.$<HTMLButtonElement>('send').disabled = busy;
    this.$('stop').hidden = !busy;
    this.$<HTMLButtonElement>('regenerate').disabled = busy || this.turns.length === 0;
    for (const t of this.turns) t.view.setEditable(!busy);
  }

  private showStatus(text: string, fraction: number | null, isError = false, showBar = !isError): void {
    const status = this.root.querySelector<HTMLElement>('.status')!;
    const bar = status.querySelector('progress')!;
    status.hidden = false;
    status.classList.toggle('error', isError);
    bar.hidden = !showBar;
    if (fraction === null) bar.removeAttribute('value');
    else bar.value = fraction;
    status.querySelector('.status-text')!.textContent = text;
  }

  private hideStatus(): void {
    this.recoveryShown = false;
    this.root.querySelector<HTMLElement>('.status')!.hidden = true;
  }

  /** A notice with a way out: the buttons named in `actions`. */
  private showNotice(text: string, actions: NoticeAction[]): void {
    const notice = this.root.querySelector<HTMLElement>('.notice')!;
    notice.querySelector('.notice-text')!.textContent = text;
    for (const a of NOTICE_ACTIONS) notice.querySelector<HTMLElement>(`.notice-${a}`)!.hidden = !actions.includes(a);
    notice.hidden = false;
  }

  private hideNotice(): void {
    this.root.querySelector<HTMLElement>('.notice')!.hidden = true;
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** A turn's fields before any answer: a new question, or one asked again. */
function unanswered(): Omit<TurnRecord, 'user'> {
  return { reply: '', status: 'pending', reasoning: '', answer: '', thought: null, notes: [] };
}


/** The engine's stream ended without its final statistics chunk (a broken engine or transport). */
export class GenerationIncompleteError extends Error {
  override name = 'GenerationIncompleteError';
}

if (!customElements.get('r1-chat')) customElements.define('r1-chat', R1ChatElement);

declare global {
  interface HTMLElementTagNameMap {
    'r1-chat': R1ChatElement;
  }
}
