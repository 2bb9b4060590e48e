/**
 * The app page: pick a model (the bundled demo, a Hugging Face repo or URL, or local files), watch it
 * load, then chat. Reasoning streams into a block that is open while the model thinks and collapses
 * with its duration when </think> arrives. Model text is only ever inserted as text, never as HTML.
 */
import type { GenerationChunk, ModelInfo, RuntimeEngine } from '../engine/api.ts';
import { createWorkerEngine } from '../engine/client.ts';
import type { ModelInput } from '../engine/model-files.ts';
import type { ChatMessage } from '../text/chat-template.ts';
import { createThinkParser, type ThinkParser } from '../text/think-parser.ts';
import { templateOpensThink } from '../text/chat-template.ts';
import { APP_CSS } from './app-style.ts';

const DEMO_MODEL = '/demo-model/';

class R1App extends HTMLElement {
  private engine: RuntimeEngine | null = null;
  private info: ModelInfo | null = null;
  private messages: ChatMessage[] = [];
  private abort: AbortController | null = null;
  private readonly root = this.attachShadow({ mode: 'open' });

  connectedCallback(): void {
    this.root.innerHTML = `<style>${APP_CSS}</style>
      <section part="picker" class="picker">
        <button id="demo">Load the demo model</button>
        <span class="note">random weights, only for trying the pipeline</span>
        <form id="remote"><input id="source" placeholder="Hugging Face repo (owner/name) or URL of a .gguf / model folder" />
          <button>Load</button></form>
        <label class="files">or local files (.gguf, or a safetensors folder):
          <input id="files" type="file" multiple /></label>
        <progress id="progress" hidden></progress><span id="status" role="status"></span>
      </section>
      <section part="messages" id="messages" class="messages" aria-live="polite"></section>
      <form id="chat" class="chat">
        <textarea id="input" placeholder="Ask something…" rows="2" disabled></textarea>
        <button id="send" disabled>Send</button>
        <button id="stop" type="button" hidden>Stop</button>
        <button id="new" type="button" disabled>New chat</button>
      </form>
      <details class="settings"><summary>Settings</summary>
        <label>Temperature <input id="temperature" type="number" min="0" max="2" step="0.05" /></label>
        <label>Top-p <input id="top-p" type="number" min="0.01" max="1" step="0.01" /></label>
        <label>Max new tokens <input id="max-tokens" type="number" min="1" step="1" value="1024" /></label>
      </details>
      <p id="stats" class="stats"></p>`;
    const $ = <T extends HTMLElement>(id: string) => this.root.getElementById(id) as T;
    $('demo').addEventListener('click', () => void this.load(DEMO_MODEL));
    $('remote').addEventListener('submit', (e) => {
      e.preventDefault();
      const v = $<HTMLInputElement>('source').value.trim();
      if (v) void this.load(v);
    });
    $<HTMLInputElement>('files').addEventListener('change', (e) => {
      const files = [...((e.target as HTMLInputElement).files ?? [])];
      if (files.length) void this.load(files.length === 1 && files[0].name.endsWith('.gguf') ? files[0] : files);
    });
    this.addEventListener('dragover', (e) => e.preventDefault());
    this.addEventListener('drop', (e) => {
      e.preventDefault();
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) void this.load(files.length === 1 && files[0].name.endsWith('.gguf') ? files[0] : files);
    });
    $('chat').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $<HTMLTextAreaElement>('input');
      const text = input.value.trim();
      if (!text || this.abort) return;
      input.value = '';
      void this.send(text);
    });
    $('stop').addEventListener('click', () => this.abort?.abort());
    $('new').addEventListener('click', () => {
      this.messages = [];
      $('messages').replaceChildren();
      void this.engine?.reset();
    });
  }

  private el<T extends HTMLElement>(id: string): T {
    return this.root.getElementById(id) as T;
  }

  private async load(input: ModelInput): Promise<void> {
    const status = this.el('status');
    const progress = this.el<HTMLProgressElement>('progress');
    this.engine ??= createWorkerEngine();
    progress.hidden = false;
    status.textContent = 'Opening the model…';
    const t0 = performance.now();
    try {
      this.info = await this.engine.load(input, { contextLength: 4096 }, (p) => {
        progress.max = p.totalBytes || 1;
        progress.value = p.loadedBytes;
        const s = (performance.now() - t0) / 1000;
        const speed = p.loadedBytes / Math.max(s, 1e-3);
        const left = speed > 0 ? (p.totalBytes - p.loadedBytes) / speed : 0;
        status.textContent = `${p.phase}: ${mib(p.loadedBytes)} of ${mib(p.totalBytes)} (${mib(speed)}/s, ${left.toFixed(0)} s left)`;
      });
      // Sampling defaults from the model's generation_config.json (R1-Distill: 0.6 / 0.95).
      this.el<HTMLInputElement>('temperature').value = String(this.info.generation.temperature ?? 0.6);
      this.el<HTMLInputElement>('top-p').value = String(this.info.generation.topP ?? 0.95);
      status.textContent = `${this.info.name} ready on ${this.info.adapter} (${mib(this.info.weightBytes)} of weights, ${this.info.contextLength}-token context)`;
      for (const id of ['input', 'send', 'new']) (this.el(id) as HTMLButtonElement).disabled = false;
    } catch (e) {
      status.textContent = explain(e);
    } finally {
      progress.hidden = true;
    }
  }

  private async send(text: string): Promise<void> {
    const engine = this.engine!;
    this.messages.push({ role: 'user', content: text });
    this.bubble('user').textContent = text;
    const turn = this.bubble('assistant');
    const think = document.createElement('details');
    think.open = true;
    const summary = document.createElement('summary');
    summary.textContent = 'Thinking…';
    const reasoning = document.createElement('div');
    think.append(summary, reasoning);
    const answer = document.createElement('div');
    answer.className = 'answer';
    turn.append(think, answer);
    this.abort = new AbortController();
    this.el('stop').hidden = false;
    this.el('stats').textContent = '';
    let reply = '';
    const t0 = performance.now();
    try {
      const prompt = await engine.renderChat(this.messages);
      const ids = await engine.encode(prompt);
      const parser: ThinkParser = createThinkParser({ startsInThink: templateOpensThink(prompt) });
      let thoughtFor: number | null = null;
      const setting = (id: string) => Number(this.el<HTMLInputElement>(id).value);
      const opts = { maxNewTokens: setting('max-tokens'), temperature: setting('temperature'), topP: setting('top-p') };
      for await (const chunk of engine.generate(ids, { ...opts, signal: this.abort.signal })) {
        if (chunk.type === 'done') {
          this.showStats(chunk, ids.length);
          break;
        }
        reply += chunk.text;
        const d = parser.push(chunk.text);
        reasoning.textContent += d.reasoning;
        answer.textContent += d.answer;
        if (!parser.thinking && thoughtFor === null) {
          thoughtFor = (performance.now() - t0) / 1000;
          summary.textContent = `Thought for ${thoughtFor.toFixed(1)} s`;
          think.open = false;
        }
      }
      const tail = parser.finish();
      reasoning.textContent += tail.reasoning;
      answer.textContent += tail.answer;
      if (!reasoning.textContent) think.remove();
      this.messages.push({ role: 'assistant', content: reply });
    } catch (e) {
      answer.textContent += `\n[${explain(e)}]`;
      this.messages.pop();
    } finally {
      this.abort = null;
      this.el('stop').hidden = true;
    }
  }

  private showStats(done: Extract<GenerationChunk, { type: 'done' }>, promptTokens: number): void {
    const s = done.stats;
    const tps = s.generatedTokens > 1 ? ((s.generatedTokens - 1) / s.decodeMs) * 1000 : 0;
    const why = s.finishReason === 'context-full' ? ' — the context is full: start a new chat' : '';
    this.el('stats').textContent =
      `${s.generatedTokens} tokens at ${tps.toFixed(1)} tok/s; prefilled ${s.prefilledTokens} of ${promptTokens} prompt tokens; ` +
      `context ${promptTokens + s.generatedTokens} / ${this.info!.contextLength}${why}`;
  }

  private bubble(role: 'user' | 'assistant'): HTMLElement {
    const div = document.createElement('div');
    div.className = `msg ${role}`;
    this.el('messages').append(div);
    return div;
  }
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** Errors in plain words, with what to do. */
function explain(e: unknown): string {
  const err = e as Error;
  switch (err?.name) {
    case 'WebGpuUnavailableError':
      return `${err.message}`;
    case 'GpuLimitError':
      return `This GPU cannot hold the model: ${err.message}`;
    case 'FormatError':
    case 'HttpError':
      return `The model files could not be read: ${err.message}`;
    case 'UnsupportedModelError':
    case 'ModelLoadError':
      return `This model is not supported: ${err.message}`;
    case 'ContextOverflowError':
      return `${err.message}`;
    default:
      return `Something went wrong: ${err?.message ?? String(e)}`;
  }
}

customElements.define('r1-app', R1App);
