/**
 * The app page, <r1-app>: pick a model (the bundled demo, a Hugging Face repo or URL, local files
 * picked or dropped, or a copy kept in this browser), watch it download and load, set sampling,
 * and chat in an <r1-chat> that shares the app's engine. Chats are kept in this browser and listed;
 * the settings and the model last opened are remembered, and a kept model opens again by itself
 * on the next visit, with the last chat shown.
 */
import type { LoadOptions, ModelInfo, RuntimeEngine } from '../engine/api.ts';
import type { LoadPlan } from '../engine/plan.ts';
import type { ModelInput } from '../engine/model-files.ts';
import { cachedModelFiles } from '../store/cached-model.ts';
import { downloadModel } from '../store/download.ts';
import { idbKeyValueStore, type KeyValueStore } from '../store/kv-store.ts';
import { EMPTY_MEMORY, readMemory, writeMemory, type AppMemory } from '../store/app-memory.ts';
import { chatTitle, deleteChat, listChats, readChat, saveChat, turnsKey, type AppStore, type AppStoreKey, type SavedChat, type TurnRecord } from '../store/chat-history.ts';
import { isComplete } from '../store/manifest.ts';
import { deleteCachedModel, listCachedModels, readManifest } from '../store/model-cache.ts';
import { modelKeyOf } from '../store/model-key.ts';
import { APP_CSS } from './app-style.ts';
import { renderCachedModels } from './cached-models-view.ts';
import './chat-element.ts';
import { chatFileName, chatMarkdown } from './chat-export.ts';
import { renderChatList } from './chat-list-view.ts';
import { heldModel, loadModel } from './engine-model.ts';
import { catalogOptions } from './model-catalog.ts';
import { explainError } from './explain-error.ts';
import { formatBytes } from './format.ts';
import { filesFromDrop, modelInputFromFiles } from './local-files.ts';
import { describeModel, describePlan } from './plan-text.ts';
import { createProgressMeter, type ProgressReport } from './progress-meter.ts';
import { sharedEngine } from './shared-engine.ts';

const DEMO_MODEL = '/demo-model/';

const TEMPLATE = `
  <div class="top">
  <section class="picker" part="picker">
    <div class="row">
      <button id="demo" class="primary">Load the demo model</button>
      <form id="remote"><input id="source" list="catalog" aria-label="Model source" aria-describedby="source-help" placeholder="Pick or type a model" />
        <button>Load</button><datalist id="catalog">${catalogOptions()}</datalist></form>
    </div>
    <p class="hint" id="source-help">A Hugging Face repo (owner/name, or owner/name/file.gguf), or the URL of a .gguf file or a model folder.</p>
    <p class="note">The demo model is a tiny Qwen2 with <strong>random weights</strong>: it writes gibberish. It is there to try
      the whole pipeline (download, GPU upload, streaming) without a multi-gigabyte download.</p>
    <div class="row options">
      <!-- 4096 by default: room for a few long R1 answers on most GPUs. -->
      <label>Context <select id="context"><option value="2048">2k tokens</option><option value="4096" selected>4k tokens</option>
        <option value="8192">8k tokens</option><option value="16384">16k tokens</option><option value="32768">32k tokens</option></select></label>
      <label>Weights <select id="quantize"><option value="" selected>as stored in the file</option>
        <option value="q4">BF16/F16 to 4-bit on load</option><option value="fp8">BF16/F16 to FP8 on load</option></select></label>
    </div>
    <label class="hint"><input id="keep" type="checkbox" checked /> Keep a copy in this browser (opens offline; an interrupted download resumes)</label>
    <div class="drop" id="drop">Drop a .gguf file or a model folder here, or pick
      <label>a .gguf file (all parts of a split one)<input id="files" type="file" accept=".gguf" multiple /></label> or
      <label>a model folder<input id="folder" type="file" webkitdirectory multiple /></label>.
      Local files are read where they are, never uploaded.</div>
    <div class="progress row" id="progress-row" hidden>
      <progress id="progress"></progress><span class="progress-text" id="progress-text"></span>
      <button id="cancel" type="button" hidden>Cancel</button>
    </div>
    <p id="status" class="status" role="status"></p>
  </section>
  <div class="panels">
  <details class="cached" id="cached-section"><summary>Kept models</summary>
    <ul id="cached"></ul><p class="hint" id="storage"></p>
    <p class="hint" id="persist-note" hidden>The browser did not promise to keep these copies: it may delete them when the disk fills up.</p></details>
  <details class="chats" id="chats-section"><summary>Chats</summary>
    <ul id="chats"></ul><p class="hint" id="chats-note" hidden></p></details>
  <details class="settings"><summary>Settings</summary>
    <div class="grid">
      <label>Temperature (0 = greedy)<input id="temperature" type="number" min="0" max="2" step="0.05" value="0.6" /></label>
      <label>Top-p<input id="top-p" type="number" min="0.01" max="1" step="0.01" value="0.95" /></label>
      <label>Max new tokens<input id="max-tokens" type="number" min="1" step="1" value="4096" /></label>
    </div>
    <label>System prompt <span class="hint">(DeepSeek recommends none for R1: put instructions in your message)</span>
      <textarea id="system-prompt" rows="2"></textarea></label>
    <label class="hint check"><input id="open-last" type="checkbox" checked /> When this page opens, open the model used last (if it is kept in this browser)</label>
  </details>
  </div>
  </div>
  <r1-chat id="chat" theme="auto"></r1-chat>`;

/** Which chat attribute each settings field sets. */
const SETTINGS: [string, string][] = [
  ['temperature', 'temperature'],
  ['top-p', 'top-p'],
  ['max-tokens', 'max-new-tokens'],
  ['system-prompt', 'system-prompt'],
];

/** The fields whose values are remembered between visits. */
const REMEMBERED_FIELDS = ['context', 'quantize', 'keep', 'temperature', 'top-p', 'max-tokens', 'system-prompt', 'open-last'];

type Choice = { kind: 'remote'; source: string } | { kind: 'local'; input: ModelInput } | { kind: 'kept'; key: string; source: string };

/** A loaded model: its source as shown, and a key that is the same whichever way it was typed. */
type HeldModel = { label: string; key: string };

function heldModelOf(choice: Choice, info: ModelInfo): HeldModel {
  if (choice.kind === 'local') return { label: info.name, key: `local:${info.name}` };
  if (choice.kind === 'kept') return { label: choice.source, key: choice.key };
  return { label: choice.source, key: modelKeyOf(choice.source, location.href).key };
}

class R1App extends HTMLElement {
  private engineRef: RuntimeEngine | null = null;
  private readonly root = this.attachShadow({ mode: 'open' });
  private readonly store: KeyValueStore = idbKeyValueStore();
  private readonly appStore: AppStore = idbKeyValueStore<AppStoreKey>('r1-webgpu-app', 'state');
  private memory: AppMemory = EMPTY_MEMORY;
  /**
   * The chat shown, once it has a turn: its id, when it began, the model it is held with, and the
   * `updatedAt` of the copy its turns are based on (this tab's last write, or one read from another
   * tab); null for a chat begun here and not written yet.
   */
  private shownChat: { id: string; createdAt: number; model: HeldModel | null; base: number | null } | null = null;
  /** The chats kept in this browser, the one written last first, as this page last read or wrote them. */
  private chats: SavedChat[] = [];
  /** The model the engine holds. */
  private held: HeldModel | null = null;
  /** Stops the load under way: its download (which resumes later) or its upload to the GPU. */
  private loading: { controller: AbortController; stage: 'download' | 'upload' } | null = null;
  private busy = false;
  /**
   * The app's other tabs: each says which chat it wrote or deleted, so that a chat shown here is not
   * stale, and then written over with its old turns when this tab carries on with it.
   */
  private readonly tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('r1-webgpu-chats') : null;

  /** The engine models load into; the page's shared worker engine unless set (tests set a fake). */
  get engine(): RuntimeEngine {
    this.engineRef ??= sharedEngine();
    return this.engineRef;
  }

  set engine(engine: RuntimeEngine) {
    this.engineRef = engine;
  }

  connectedCallback(): void {
    if (this.root.childNodes.length) return;
    this.root.innerHTML = `<style>${APP_CSS}</style>${TEMPLATE}`;
    this.$('demo').addEventListener('click', () => void this.load({ kind: 'remote', source: DEMO_MODEL }));
    this.$('remote').addEventListener('submit', (e) => {
      e.preventDefault();
      const source = this.$<HTMLInputElement>('source').value.trim();
      if (source) void this.load({ kind: 'remote', source });
    });
    for (const id of ['files', 'folder']) {
      this.$<HTMLInputElement>(id).addEventListener('change', (e) => {
        const input = e.target as HTMLInputElement;
        const files = [...(input.files ?? [])];
        input.value = '';
        if (files.length) this.loadLocal(files);
      });
    }
    this.addEventListener('dragover', (e) => {
      e.preventDefault();
      this.classList.add('dragging');
    });
    this.addEventListener('dragleave', () => this.classList.remove('dragging'));
    this.addEventListener('drop', (e) => {
      e.preventDefault();
      this.classList.remove('dragging');
      if (e.dataTransfer) void filesFromDrop(e.dataTransfer).then((files) => this.loadLocal(files), (err: unknown) => this.fail(err));
    });
    this.$('cancel').addEventListener('click', () => this.loading?.controller.abort());
    for (const [field] of SETTINGS) this.$(field).addEventListener('input', () => this.applySettings());
    // Context and weights are chosen at load: the model held keeps what it was loaded with.
    for (const field of ['context', 'quantize']) {
      this.$(field).addEventListener('input', () => {
        if (this.held && !this.busy) this.say(`${this.held.label} stays as it was loaded: load it again to use the new ${field === 'context' ? 'context length' : 'weights setting'}.`);
      });
    }
    for (const field of REMEMBERED_FIELDS) this.$(field).addEventListener('input', () => void this.rememberFields());
    this.$('chat').addEventListener('conversation-change', (e) => void this.keepChat((e as CustomEvent<TurnRecord[]>).detail));
    this.tabs?.addEventListener('message', (e: MessageEvent<{ chat?: unknown; busy?: unknown }>) => {
      if (typeof e.data?.chat === 'string') void this.chatChangedElsewhere(e.data.chat, e.data.busy === true);
    });
    this.applySettings();
    void this.refreshKept();
    void this.resume();
  }

  /** The last visit's settings and chat, and its model when a kept copy of it can open offline. */
  private async resume(): Promise<void> {
    this.memory = await readMemory(this.appStore).catch(() => EMPTY_MEMORY);
    for (const [id, value] of Object.entries(this.memory.fields)) {
      const field = this.root.getElementById(id);
      if (field instanceof HTMLInputElement && field.type === 'checkbox') field.checked = value === 'true';
      else if (field instanceof HTMLSelectElement) field.value = [...field.options].some((o) => o.value === value) ? value : field.value;
      else if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) field.value = value;
    }
    this.applySettings();
    try {
      // A chat begun while the list was being read is already in memory, and newer.
      const listed = await listChats(this.appStore);
      this.chats = [...this.chats, ...listed.filter((c) => !this.chats.some((m) => m.id === c.id))];
    } catch (e) {
      this.chatsNote(`Chats cannot be kept in this browser: ${explainError(e)}`);
    }
    const last = this.chats[0];
    if (last && !this.shownChat && this.chat().conversation.length === 0) this.showChat(last.id);
    else this.renderChats();
    const model = this.memory.model;
    if (!model) return;
    const kept = model.kept ? await readManifest(this.store, model.key).catch(() => null) : null;
    if (kept && isComplete(kept) && this.$<HTMLInputElement>('open-last').checked) {
      void this.load({ kind: 'kept', key: model.key, source: model.source }, 'the model used last');
    } else if (!this.$<HTMLInputElement>('source').value) {
      this.$<HTMLInputElement>('source').value = model.source;
    }
  }

  // ---- loading ----

  private loadLocal(files: File[]): void {
    try {
      void this.load({ kind: 'local', input: modelInputFromFiles(files) });
    } catch (e) {
      this.fail(e);
    }
  }

  private async load(choice: Choice, why = ''): Promise<void> {
    if (this.busy) return;
    this.setBusy(true);
    this.say(`Opening ${choice.kind === 'local' ? 'the local files' : choice.source}${why ? `, ${why}` : ''}…`);
    const loading = (this.loading = { controller: new AbortController(), stage: 'download' as 'download' | 'upload' });
    const { signal } = loading.controller;
    const meter = createProgressMeter();
    const show = (p: ProgressReport) => {
      const v = meter(p);
      const bar = this.$<HTMLProgressElement>('progress');
      if (v.fraction === null) bar.removeAttribute('value');
      else bar.value = v.fraction;
      this.$('progress-text').textContent = v.text;
    };
    try {
      const input = await this.modelInput(choice, show, signal);
      loading.stage = 'upload';
      const opts = this.loadOptions();
      // What it will take, said before any weight is read; a model this GPU cannot hold stops here.
      const plan = await this.engine.plan(input, opts);
      this.say(describePlan(plan), plan.problem !== null);
      if (plan.problem) return;
      signal.throwIfAborted();
      const info = await loadModel(this.engine, input, { ...opts, signal }, show);
      // A kept copy is a list of Files to the engine: name it by where it came from.
      const held = heldModelOf(choice, info);
      this.ready(info, held, plan);
      await this.rememberModel(choice, held);
    } catch (e) {
      // Once the upload began, the engine let go of the model it held.
      if (loading.stage === 'upload' && (await heldModel(this.engine)?.catch(() => null)) == null) this.held = null;
      this.fail(e, loading.stage);
    } finally {
      this.loading = null;
      this.setBusy(false);
      void this.refreshKept();
    }
  }

  /** What the engine is given: the source itself, or the kept copy after downloading what is missing. */
  private async modelInput(choice: Choice, show: (p: ProgressReport) => void, signal: AbortSignal): Promise<ModelInput> {
    if (choice.kind === 'local') return choice.input;
    const keep = choice.kind === 'kept' || this.$<HTMLInputElement>('keep').checked;
    if (!keep) return choice.source;
    const key = choice.kind === 'kept' ? choice.key : modelKeyOf(choice.source, location.href).key;
    const kept = await readManifest(this.store, key);
    // A complete copy opens without the network; anything else downloads what is missing.
    if (!kept || !isComplete(kept)) {
      const { persisted } = await downloadModel(kept?.source ?? choice.source, {
        store: this.store,
        storage: navigator.storage ?? null,
        locks: navigator.locks ?? null,
        base: location.href,
        signal,
        onProgress: show,
      });
      this.$('persist-note').hidden = persisted;
    }
    return cachedModelFiles(this.store, key);
  }

  private loadOptions(): LoadOptions {
    const q = this.$<HTMLSelectElement>('quantize').value;
    return { contextLength: Number(this.$<HTMLSelectElement>('context').value), quantize: q === 'q4' || q === 'fp8' ? q : undefined };
  }

  private ready(info: ModelInfo, held: HeldModel, plan: LoadPlan): void {
    // Sampling defaults from the model's generation_config.json (R1-Distill: 0.6 / 0.95), unless it
    // is the model of last time, whose settings were kept as the user left them.
    if (held.key !== this.memory.model?.key) {
      this.$<HTMLInputElement>('temperature').value = String(info.generation.temperature ?? 0.6);
      this.$<HTMLInputElement>('top-p').value = String(info.generation.topP ?? 0.95);
      void this.rememberFields();
    }
    this.applySettings();
    this.held = held;
    const chat = this.chat();
    chat.engine = this.engine;
    // A chat held with another model is kept in the list; this one starts afresh.
    const chatModel = this.shownChat?.model?.key;
    if (chatModel !== undefined && chatModel !== held.key) void chat.newChat();
    const template = info.hasChatTemplate ? '' : ' It has no chat template, so chat turns may not be formatted as it expects.';
    const gpuBytes = info.weightBytes + info.kvCacheBytes + info.activationBytes;
    this.say(`${held.label} ready on ${info.adapter}: ${describeModel(plan)} takes ${formatBytes(gpuBytes)} on the GPU.${template}`);
  }

  private fail(e: unknown, stage: 'download' | 'upload' = 'upload'): void {
    const stopped = (e as { name?: string })?.name === 'AbortError';
    if (stopped && stage === 'download') this.say('Download paused: load the model again to resume where it stopped.', true);
    else if (stopped) this.say(this.held ? `Loading stopped: ${this.held.label} is still loaded.` : 'Loading stopped: no model is loaded.', true);
    else this.say(explainError(e), true);
  }

  // ---- remembered between visits ----

  /** Local files cannot be opened again without being picked: after them, no model is remembered. */
  private async rememberModel(choice: Choice, held: HeldModel): Promise<void> {
    const kept = choice.kind === 'kept' || (choice.kind === 'remote' && this.$<HTMLInputElement>('keep').checked);
    const model = choice.kind === 'local' ? null : { source: held.label, key: held.key, kept };
    await this.remember({ ...this.memory, model });
  }

  private async rememberFields(): Promise<void> {
    const fields: Record<string, string> = {};
    for (const id of REMEMBERED_FIELDS) {
      const field = this.$<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(id);
      fields[id] = field instanceof HTMLInputElement && field.type === 'checkbox' ? String(field.checked) : field.value;
    }
    await this.remember({ ...this.memory, fields });
  }

  private async remember(memory: AppMemory): Promise<void> {
    this.memory = memory;
    // Without IndexedDB (some private windows) nothing is remembered; the page works the same.
    await writeMemory(this.appStore, memory).catch(() => {});
  }

  // ---- chats ----

  /**
   * Keeps the shown chat after a turn starts or ends, or each second while it streams; an emptied
   * chat is the start of a new one. The list changes at once; the write follows.
   */
  private async keepChat(turns: TurnRecord[]): Promise<void> {
    if (turns.length === 0) {
      this.shownChat = null;
      this.renderChats();
      return;
    }
    const now = Date.now();
    this.shownChat ??= { id: crypto.randomUUID(), createdAt: now, model: this.held, base: null };
    const shown = this.shownChat;
    shown.model = this.held ?? shown.model;
    const base = shown.base;
    // Claimed before the write: this tab's own writes in flight are not another tab's.
    shown.base = now;
    if (base !== null && (await this.changedUnderfoot(shown.id, base, turns))) {
      // Another tab carried this chat on in a way these turns do not: they are kept as a chat of
      // their own, and nothing that tab wrote is written over.
      Object.assign(shown, { id: crypto.randomUUID(), createdAt: now });
    }
    const { id, createdAt, model } = shown;
    const kept = this.chats.find((c) => c.id === id);
    const saved: SavedChat = { version: 1, id, title: kept?.named ? kept.title : chatTitle(turns), model, createdAt, updatedAt: now, turns };
    if (kept?.named) saved.named = true;
    this.chats = [saved, ...this.chats.filter((c) => c.id !== id)];
    this.renderChats();
    await this.writeChat(saved, this.chat().generating);
  }

  /** Whether chat `id` was written after `base` by another tab, with turns that `turns` do not carry on. */
  private async changedUnderfoot(id: string, base: number, turns: readonly TurnRecord[]): Promise<boolean> {
    const stored = await readChat(this.appStore, id).catch(() => null);
    if (!stored || stored.updatedAt <= base) return false;
    return turnsKey(turns.slice(0, stored.turns.length)) !== turnsKey(stored.turns);
  }

  /** Writes a chat and tells the other tabs (`busy`: an answer is being written into it). */
  private async writeChat(saved: SavedChat, busy = false): Promise<void> {
    try {
      await saveChat(this.appStore, saved);
      this.tabs?.postMessage({ chat: saved.id, busy });
      this.$('chats-note').hidden = true;
    } catch (e) {
      this.chatsNote(`This chat could not be kept in this browser: ${explainError(e)}`);
    }
  }

  /** Names a chat as the user typed it, or ('') by its first question again; it keeps its place in the list. */
  private async renameChat(id: string, title: string): Promise<void> {
    // The copy kept now (another tab may have added to it since this list was drawn), else the listed one.
    const kept = (await readChat(this.appStore, id).catch(() => null)) ?? this.chats.find((c) => c.id === id);
    if (!kept) return;
    const { named: _, ...rest } = kept;
    const renamed: SavedChat = title ? { ...rest, title, named: true } : { ...rest, title: chatTitle(kept.turns) };
    this.chats = this.chats.map((c) => (c.id === id ? renamed : c));
    this.renderChats();
    await this.writeChat(renamed);
  }

  private showChat(id: string): void {
    const saved = this.chats.find((c) => c.id === id);
    if (!saved) return;
    // Setting the conversation announces a generation it stops, which keeps it under the old id first.
    this.chat().conversation = saved.turns;
    this.shownChat = { id: saved.id, createdAt: saved.createdAt, model: saved.model, base: saved.updatedAt };
    this.renderChats();
  }

  private async removeChat(id: string): Promise<void> {
    // The chat on screen goes first (a generation in it stops), so that no later write brings it back.
    if (id === this.shownChat?.id) await this.chat().newChat();
    this.chats = this.chats.filter((c) => c.id !== id);
    this.renderChats();
    await deleteChat(this.appStore, id).then(
      () => this.tabs?.postMessage({ chat: id }),
      (e: unknown) => this.chatsNote(`The chat could not be deleted: ${explainError(e)}`),
    );
  }

  /**
   * Another tab wrote or deleted chat `id`: the list follows, and so does the chat on screen, once
   * an answer there has ended (not each second while it streams) and unless this tab is answering
   * in it or a question is being edited. A chat this tab goes on with meanwhile is kept apart when
   * the two differ (keepChat). A chat deleted there stays on screen here, kept as a new one if it
   * goes on.
   */
  private async chatChangedElsewhere(id: string, busy: boolean): Promise<void> {
    let saved: SavedChat | null;
    try {
      saved = await readChat(this.appStore, id);
    } catch {
      // Unreadable here (a newer version's record, a failed read): the list stays as it was.
      return;
    }
    this.chats = this.chats.filter((c) => c.id !== id);
    if (saved) this.chats = [...this.chats, saved].sort((a, b) => b.updatedAt - a.updatedAt);
    const shown = this.shownChat;
    const chat = this.chat();
    if (shown?.id === id) {
      if (!saved) this.shownChat = null;
      else if (turnsKey(saved.turns) === turnsKey(chat.conversation)) shown.base = saved.updatedAt;
      else if (!busy && !saved.turns.some((t) => t.status === 'pending') && !chat.generating && !chat.editing) {
        chat.conversation = saved.turns;
        shown.base = saved.updatedAt;
      }
    }
    this.renderChats();
  }

  private renderChats(): void {
    renderChatList(this.$('chats'), this.chats, this.shownChat?.id ?? null, {
      open: (id) => this.showChat(id),
      exportMarkdown: (id) => this.exportChat(id),
      remove: (id) => void this.removeChat(id),
      rename: (id, title) => void this.renameChat(id, title),
    });
  }

  /** Saves a chat as a Markdown file (the browser's download). */
  private exportChat(id: string): void {
    const saved = this.chats.find((c) => c.id === id);
    if (!saved) return;
    const url = URL.createObjectURL(new Blob([chatMarkdown(saved)], { type: 'text/markdown;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = chatFileName(saved);
    a.click();
    // The download has its own copy once started; the URL is not needed after this task.
    setTimeout(() => URL.revokeObjectURL(url));
  }

  /** A problem keeping chats: under the list, and in the status line, where it is seen. */
  private chatsNote(text: string): void {
    this.$('chats-note').textContent = text;
    this.$('chats-note').hidden = false;
    this.say(text, true);
  }

  private chat(): HTMLElementTagNameMap['r1-chat'] {
    return this.$('chat') as HTMLElementTagNameMap['r1-chat'];
  }

  // ---- kept models ----

  private async refreshKept(): Promise<void> {
    try {
      const models = await listCachedModels(this.store);
      renderCachedModels(this.$('cached'), models, {
        open: (m) => void this.load({ kind: 'kept', key: m.key, source: m.source }),
        remove: (m) => void deleteCachedModel(this.store, m.key).then(() => this.refreshKept(), (e: unknown) => this.fail(e)),
      });
      const est = await navigator.storage?.estimate();
      if (est?.quota !== undefined) {
        this.$('storage').textContent = `This site stores ${formatBytes(est.usage ?? 0)}; the browser allows up to ${formatBytes(est.quota)}.`;
      }
    } catch (e) {
      // IndexedDB can be off (some private windows): the app still works without kept copies.
      this.$('storage').textContent = `Models cannot be kept in this browser: ${explainError(e)}`;
    }
  }

  // ---- view ----

  private applySettings(): void {
    const chat = this.$('chat');
    for (const [field, attr] of SETTINGS) {
      const v = this.$<HTMLInputElement | HTMLTextAreaElement>(field).value;
      if (v.trim()) chat.setAttribute(attr, v);
      else chat.removeAttribute(attr);
    }
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.$('progress-row').hidden = !busy;
    this.$('cancel').hidden = !busy;
    this.root.querySelectorAll<HTMLButtonElement>('.picker button:not(#cancel), .cached button').forEach((b) => (b.disabled = busy));
  }

  private say(text: string, isError = false): void {
    const status = this.$('status');
    status.textContent = text;
    status.classList.toggle('error', isError);
  }

  private $<T extends HTMLElement = HTMLElement>(id: string): T {
    return this.root.getElementById(id) as T;
  }
}

customElements.define('r1-app', R1App);

// The app shell (not the models: those live in IndexedDB) is cached for offline visits; only in
// production builds, where the file names are stable and the dev server's live modules are absent.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch((e: unknown) => {
    // Offline visits are a convenience: the page works the same without them.
    console.warn('r1-webgpu: offline support is off, the service worker did not register:', e);
  });
}
