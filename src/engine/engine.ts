import { createGpu, type GpuContext } from '../gpu/device.ts';
import { GpuDeviceLostError } from '../gpu/errors.ts';
import { encodeDispatches, STEP_LAYOUT, type Dispatch, type KernelContext, type KernelTuning } from '../gpu/dispatch.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { packUniforms } from '../gpu/uniforms.ts';
import { profileDispatches, type KernelTime } from '../gpu/profiler.ts';
import { checked } from '../gpu/validation.ts';
import { probeMatrixUnits } from '../kernels/matrix-probe.ts';
import { penaltyMask, SAMPLE_PARAMS } from '../kernels/sample.ts';
import type { ModelConfig } from '../model/config.ts';
import { createActivations, recordForward, type Activations } from '../model/forward.ts';
import { createKvCache, destroyKvCache, type KvCache, type KvDtype } from '../model/kv-cache.ts';
import { ropeInvFreqs, ropeTable } from '../model/rope-freqs.ts';
import { planMemory } from '../model/memory.ts';
import { quantizeOnLoad, type QuantizeMode } from '../formats/quant/on-load.ts';
import { loadShape } from './plan.ts';
import { checkTensors, loadWeights, type ModelWeights } from '../model/weights.ts';
import { ContextOverflowError, LoadAbortedError, SettingsError } from './errors.ts';
import { openModel, type GenerationDefaults, type ModelBundle, type ModelInput } from './model-files.ts';
import { resolveSettings, type GenerateOptions, type ResolvedSettings } from './settings.ts';

export interface EngineOptions {
  /** Tokens the KV cache holds (default 4096, capped by the model's max positions). */
  contextLength?: number;
  /** Tokens per prefill submission. */
  prefillChunk?: number;
  /** Dawn's GPU object in Node; navigator.gpu in browsers. */
  gpu?: GPU;
  /** Split tensors above this many bytes per binding (tests use it to exercise sharding). */
  capBindingBytes?: number;
  /** Quantize float matrices while they stream to the GPU. */
  quantize?: QuantizeMode;
  /**
   * W8A8 checkpoints: 'checkpoint' (default) rounds each quantized matmul's input to FP8 E4M3 or INT8
   * as the checkpoint says, as vLLM (and for FP8 transformers) runs it; 'off' computes with the
   * activations as they are (weight-only, and the norms fused into the decode GEMVs again).
   */
  activationRounding?: 'checkpoint' | 'off';
  /** KV cache precision: f16 (default) or f32. */
  kvCache?: KvDtype;
  /** Key slices per query in decode attention; by default chosen for the adapter (tests force it). */
  attentionSplits?: number;
  /**
   * Queue the next decode step before the last one's token is read back (default true): the GPU is
   * never idle waiting for the readback. False runs one step at a time (benchmarks compare).
   */
  pipelineDecode?: boolean;
  /**
   * Which kernel variants to run: 'auto' (default) picks by adapter; 'gpu' runs what GPUs run (many
   * threads per GEMV row, the tiled GEMM, split attention) on any adapter, so CPU-only machines can
   * test that schedule end to end.
   */
  schedule?: 'auto' | 'gpu' | 'cpu';
  /** Kernel variant choices, for benchmarks that compare them (defaults otherwise). */
  tuning?: KernelTuning;
  onProgress?: (p: LoadProgress) => void;
  /** Stops the load between weight reads (LoadAbortedError); what it had put on the GPU is freed. */
  signal?: AbortSignal;
}

export interface LoadProgress {
  phase: 'reading' | 'uploading' | 'ready';
  loadedBytes: number;
  totalBytes: number;
}

export interface EngineInfo {
  name: string;
  format: 'gguf' | 'safetensors';
  config: ModelConfig;
  adapter: string;
  weightBytes: number;
  kvCacheBytes: number;
  /** Activation buffers: the hidden states of one prefill chunk, the logits, the rotary table. */
  activationBytes: number;
  contextLength: number;
}

export interface TokenEvent {
  id: number;
  /** Position of this token in the context. */
  pos: number;
  /**
   * The id is the model's end of sequence: it ends the generation and counts among the ids, as in
   * Hugging Face's output, but is not text (skip_special_tokens). A stop id the caller gave ends it
   * too but keeps its text, as in vLLM.
   */
  eos?: true;
}

export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens actually run: the rest came from the KV cache of an earlier call. */
  prefilledTokens: number;
  generatedTokens: number;
  prefillMs: number;
  decodeMs: number;
  /** 'context-full': the KV cache has no room for another token. */
  finishReason: 'stop' | 'length' | 'abort' | 'context-full';
}

/**
 * The runtime: one model on one GPU, a KV cache, and the decode loop. Each step is one command
 * submission and a 4-byte readback of the picked token. Decode keeps two steps in flight: step n+1
 * takes its input token from step n's pick on the GPU, so it is queued before that pick is read back.
 */
export class Engine {
  private readonly graphs = new Map<string, { dispatches: Dispatch[]; owned: GPUBuffer[] }>();
  private readonly pipelines: PipelineCache;
  private readonly step: GPUBuffer;
  /** Two, used in turn: one step's pick is being read while the next step copies its own. */
  private readonly readbacks: [GPUBuffer, GPUBuffer];
  private nextReadback = 0;
  /** Token ids whose keys/values are in the cache, in order. */
  private cachedIds: number[] = [];
  private busy = false;

  private constructor(
    readonly gpu: GpuContext,
    readonly bundle: ModelBundle,
    private readonly weights: ModelWeights,
    private readonly kv: KvCache,
    private readonly act: Activations,
    private readonly prefillChunk: number,
    private readonly pipelineDecode: boolean,
    private readonly tuning: KernelTuning,
  ) {
    const { device } = gpu;
    this.pipelines = new PipelineCache(device);
    this.step = device.createBuffer({ label: 'step', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const readback = (label: string) => device.createBuffer({ label, size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.readbacks = [readback('readback 0'), readback('readback 1')];
    // The pick's settings before any generation (logits(), profiling): greedy, no penalty.
    this.startSampler(resolveSettings({ temperature: 0, topP: 1, topK: 0, repetitionPenalty: 1, seed: 0 }, bundle.generation), []);
    this.lost = device.lost.then((info) => {
      if (this.destroyed) return null;
      this.lostMessage = info.message || String(info.reason);
      return this.lostMessage;
    });
  }

  /**
   * Resolves with the reason once the device is lost (driver reset, GPU removed, destroyed from
   * outside): this Engine is then unusable and a new one must be loaded. Resolves with null after destroy().
   */
  readonly lost: Promise<string | null>;
  /** Set once the device is lost: every later call fails with GpuDeviceLostError. */
  private lostMessage: string | null = null;
  private destroyed = false;

  private checkDevice(): void {
    if (this.lostMessage !== null) {
      throw new GpuDeviceLostError(`the GPU device was lost (${this.lostMessage}): load the model again to continue`);
    }
  }

  static async load(input: ModelInput | ModelBundle, opts: EngineOptions = {}): Promise<Engine> {
    const opened = isBundle(input) ? input : await openModel(input);
    const bundle = opts.quantize ? { ...opened, tensors: quantizeOnLoad(opened.tensors, opts.quantize) } : opened;
    const c = bundle.config;
    const { contextLength, prefillChunk } = loadShape(bundle, opts);
    checkTensors(c, bundle.tensors);
    const plan = planMemory(c, bundle.tensors.values(), contextLength, prefillChunk, opts.kvCache);
    const need =
      plan.largestRowBytes > plan.largestBufferBytes
        ? { bytes: plan.largestRowBytes, what: 'one weight row', fix: 'This model file cannot run on this GPU.' }
        : { bytes: plan.largestBufferBytes, what: plan.largestBufferName, fix: 'Load it with a shorter context length.' };
    const stopIfAborted = () => {
      if (opts.signal?.aborted) throw new LoadAbortedError();
    };
    stopIfAborted();
    const adapter = await createGpu({ gpu: opts.gpu, capBindingBytes: opts.capBindingBytes, neededBinding: need });
    // A load that fails or is stopped part way frees the GPU memory it took at once, not at the
    // next garbage collection: the load tried next may need all of it.
    try {
      const gpu = await probeMatrixUnits(!opts.schedule || opts.schedule === 'auto' ? adapter : { ...adapter, isCpu: opts.schedule === 'cpu' });
      const total = plan.weightBytes;
      let loaded = 0;
      opts.onProgress?.({ phase: 'uploading', loadedBytes: 0, totalBytes: total });
      const weights = await checked(gpu.device, 'uploading the weights', () =>
        loadWeights(gpu, c, bundle.tensors, {
          unpermuteQk: bundle.unpermuteQk,
          activationRounding: opts.activationRounding === 'off' ? null : bundle.activationRounding,
          onBytes: (n) => {
            stopIfAborted();
            loaded += n;
            opts.onProgress?.({ phase: 'uploading', loadedBytes: loaded, totalBytes: total });
          },
        }),
      );
      stopIfAborted();
      const rope = ropeInvFreqs(c);
      const invFreq = Float64Array.from(rope.invFreq, (f, i) => f / (weights.ropeFreqFactors?.[i] ?? 1));
      const kv = createKvCache(gpu.device, c, contextLength, opts.kvCache);
      const act = createActivations(gpu.device, c, prefillChunk, contextLength, ropeTable(invFreq, rope.attentionScaling, contextLength), {
        isCpu: gpu.isCpu,
        attentionSplits: opts.attentionSplits,
      });
      opts.onProgress?.({ phase: 'ready', loadedBytes: total, totalBytes: total });
      return new Engine(gpu, bundle, weights, kv, act, prefillChunk, opts.pipelineDecode ?? true, opts.tuning ?? {});
    } catch (e) {
      adapter.device.destroy();
      throw e;
    }
  }

  get info(): EngineInfo {
    return {
      name: this.bundle.name,
      format: this.bundle.format,
      config: this.bundle.config,
      adapter: this.gpu.adapterName,
      weightBytes: this.weights.bytes,
      kvCacheBytes: this.kv.bytes,
      activationBytes: this.act.bytes,
      contextLength: this.kv.maxSeq,
    };
  }

  /** GPU bytes of the embedding table: a decode step reads one row of it, not all (bandwidth rooflines). */
  get embeddingBytes(): number {
    return this.weights.embed.rows * this.weights.embed.rowBytes;
  }

  /** Kernel launches in one greedy decode step (benchmarks: fusing kernels lowers it). */
  get decodeStepDispatches(): number {
    return this.graph(1, 'greedy').length;
  }

  get generationDefaults(): GenerationDefaults {
    return this.bundle.generation;
  }

  /**
   * Generates after `promptIds`, yielding each new token. Keys/values of the longest prefix shared
   * with the previous call are reused, so a follow-up turn only prefills its new tokens.
   */
  async *generate(promptIds: number[], options: GenerateOptions = {}): AsyncGenerator<TokenEvent, GenerationStats> {
    if (this.busy) throw new Error('the engine is already generating: wait for it or abort it first');
    if (promptIds.length === 0) throw new Error('the prompt is empty');
    this.checkIds(promptIds);
    const s = resolveSettings(options, this.bundle.generation);
    const maxSeq = this.kv.maxSeq;
    if (promptIds.length >= maxSeq) throw new ContextOverflowError(promptIds.length + 1, maxSeq);
    this.busy = true;
    // Steps queued on the GPU whose picks are not read yet, oldest first.
    const inFlight: Promise<number>[] = [];
    try {
      const pick = s.temperature > 0 ? 'sample' : 'greedy';
      const penalized = this.startSampler(s, promptIds);
      // A repetition penalty needs each pick in the penalized list before the next step samples.
      const ahead = this.pipelineDecode && s.repetitionPenalty === 1;
      const t0 = performance.now();
      const { next: first, reused } = await this.prefill(promptIds, pick, s.seed);
      let next = first;
      const stats: GenerationStats = {
        promptTokens: promptIds.length,
        prefilledTokens: promptIds.length - reused,
        generatedTokens: 0,
        decodeMs: 0,
        finishReason: 'length',
        prefillMs: performance.now() - t0,
      };
      const t1 = performance.now();
      // Step n runs generated token n at position `pos` and picks token n + 1.
      const mayRun = (n: number, pos: number) => n + 1 < s.maxNewTokens && pos + 1 < maxSeq;
      for (let n = 0; ; n++) {
        stats.generatedTokens++;
        const pos = this.cachedIds.length;
        this.notePenalized(s, penalized, next);
        if (inFlight.length === 0 && mayRun(n, pos) && !s.stopIds.has(next)) inFlight.push(this.submitDecode(next, pos, pick, s.seed, n + 1));
        // Step n + 1 follows step n on the GPU, its input copied there from step n's pick.
        if (ahead && inFlight.length === 1 && mayRun(n + 1, pos + 1)) inFlight.push(this.submitDecode('previous pick', pos + 1, pick, s.seed, n + 2));
        yield this.bundle.generation.eosIds.includes(next) ? { id: next, pos, eos: true } : { id: next, pos };
        if (s.stopIds.has(next)) {
          stats.finishReason = 'stop';
          break;
        }
        if (options.signal?.aborted) {
          stats.finishReason = 'abort';
          break;
        }
        if (!mayRun(n, pos)) {
          if (n + 1 < s.maxNewTokens) stats.finishReason = 'context-full';
          break;
        }
        const input = next;
        next = await inFlight.shift()!;
        this.cachedIds.push(input);
      }
      stats.decodeMs = performance.now() - t1;
      return stats;
    } finally {
      // Steps queued past a stop are discarded, but their readbacks must finish before reuse.
      await Promise.allSettled(inFlight);
      this.busy = false;
    }
  }

  /** Token ids from outside must name rows of the embedding: the GPU would read past it silently. */
  private checkIds(ids: readonly number[]): void {
    const V = this.bundle.config.vocabSize;
    const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= V);
    if (bad >= 0) throw new SettingsError(`prompt token ${bad} is ${ids[bad]}, not a token id of this model (0 to ${V - 1})`);
  }

  /**
   * Debugging and tests: the last token's logits after `ids`, computed like generate() does (cached
   * prefix reused, the rest prefilled in chunks), read back whole.
   */
  async logits(ids: number[]): Promise<Float32Array> {
    if (this.busy) throw new Error('the engine is generating');
    if (ids.length === 0 || ids.length > this.kv.maxSeq) throw new ContextOverflowError(ids.length, this.kv.maxSeq);
    this.checkIds(ids);
    await this.prefill(ids, 'greedy', 0);
    const { device } = this.gpu;
    const size = this.bundle.config.vocabSize * 4;
    const read = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(this.act.logits, 0, read, 0, size);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange().slice(0));
    read.destroy();
    return out;
  }

  /**
   * Benchmarks: GPU time per kernel variant of one decode step at the current cache position
   * (timestamp queries), picking greedily or with the last generation's sampling settings. The step's
   * result is discarded; the cache is unchanged for later calls.
   */
  async profileDecodeStep(pick: 'greedy' | 'sample' = 'greedy'): Promise<KernelTime[]> {
    this.checkDevice();
    const pos = Math.min(this.cachedIds.length, this.kv.maxSeq - 1);
    const { device } = this.gpu;
    device.queue.writeBuffer(this.act.tokens, 0, new Uint32Array([this.cachedIds.at(-1) ?? 0]));
    device.queue.writeBuffer(this.step, 0, packUniforms(STEP_LAYOUT, { pos, seed: 0, draw: 0, pad: 0 }));
    return profileDispatches(device, this.graph(1, pick));
  }

  /** Forgets the cached context (a new chat). */
  reset(): void {
    this.cachedIds = [];
  }

  destroy(): void {
    this.destroyed = true;
    for (const g of this.graphs.values()) for (const b of g.owned) b.destroy();
    this.graphs.clear();
    destroyKvCache(this.kv);
    this.gpu.device.destroy();
  }

  // ---- internals ----

  /**
   * Brings the cache to hold `ids`: the longest prefix shared with what it holds is kept (at least the
   * last token is run, for its logits), the rest runs in chunks. Returns the pick after the last token.
   */
  private async prefill(ids: number[], pick: 'greedy' | 'sample', seed: number): Promise<{ next: number; reused: number }> {
    let reused = 0;
    while (reused < this.cachedIds.length && reused < ids.length - 1 && this.cachedIds[reused] === ids[reused]) reused++;
    this.cachedIds = ids.slice(0, reused);
    let next = -1;
    for (let pos = reused; pos < ids.length; pos += this.prefillChunk) {
      const chunk = ids.slice(pos, pos + this.prefillChunk);
      next = await this.run(chunk, pos, pos + chunk.length === ids.length ? pick : 'none', seed, 0);
      this.cachedIds.push(...chunk);
    }
    return { next, reused };
  }

  /** Runs ids at positions pos.. and returns the picked next token (or -1 for 'none'). */
  private async run(ids: number[], pos: number, pick: 'greedy' | 'sample' | 'none', seed: number, draw: number): Promise<number> {
    this.checkDevice();
    this.gpu.device.queue.writeBuffer(this.act.tokens, 0, new Uint32Array(ids));
    if (pick === 'none') {
      this.submit(ids.length, pos, pick, seed, draw, null);
      return -1;
    }
    return this.readPick(this.submit(ids.length, pos, pick, seed, draw, null));
  }

  /**
   * Queues one decode step. Its input is `token`, or the pick of the step queued just before it,
   * copied on the GPU, so the step can be queued before that pick is read back.
   */
  private submitDecode(token: number | 'previous pick', pos: number, pick: 'greedy' | 'sample', seed: number, draw: number): Promise<number> {
    this.checkDevice();
    if (token !== 'previous pick') this.gpu.device.queue.writeBuffer(this.act.tokens, 0, new Uint32Array([token]));
    const picked = this.readPick(this.submit(1, pos, pick, seed, draw, token === 'previous pick' ? this.act.result : null));
    // Awaited later, maybe after a stop: a failure before then is not an unhandled rejection.
    picked.catch(() => {});
    return picked;
  }

  /**
   * One command submission of the T-token graph. Queue order keeps it correct with steps still in
   * flight: the step uniform written here is seen by this submission, and earlier ones have read theirs.
   * Returns the readback buffer its pick is copied to, or null for 'none'.
   */
  private submit(T: number, pos: number, pick: 'greedy' | 'sample' | 'none', seed: number, draw: number, inputFrom: GPUBuffer | null): GPUBuffer | null {
    const { device } = this.gpu;
    device.queue.writeBuffer(this.step, 0, packUniforms(STEP_LAYOUT, { pos, seed, draw, pad: 0 }));
    const graph = this.graph(T, pick);
    const enc = device.createCommandEncoder();
    if (inputFrom) enc.copyBufferToBuffer(inputFrom, 0, this.act.tokens, 0, 4);
    encodeDispatches(enc, graph);
    let readback: GPUBuffer | null = null;
    if (pick !== 'none') {
      readback = this.readbacks[this.nextReadback];
      this.nextReadback ^= 1;
      enc.copyBufferToBuffer(this.act.result, 0, readback, 0, 4);
    }
    device.queue.submit([enc.finish()]);
    return readback;
  }

  private async readPick(readback: GPUBuffer | null): Promise<number> {
    if (!readback) throw new Error('this step picks no token');
    try {
      await readback.mapAsync(GPUMapMode.READ);
    } catch (e) {
      // A lost device rejects pending maps: report that, not the map failure.
      await Promise.race([this.gpu.device.lost, new Promise((r) => setTimeout(r, 100))]);
      this.checkDevice();
      throw e;
    }
    const id = new Uint32Array(readback.getMappedRange())[0];
    readback.unmap();
    return id;
  }

  /**
   * Graphs for T = 1 (decode) and T = chunk (prefill) are built once and replayed; a prefill tail of
   * another size gets a one-off graph whose uniforms are freed once the GPU is done with it.
   */
  private graph(T: number, pick: 'greedy' | 'sample' | 'none'): Dispatch[] {
    const key = `${T}:${pick}`;
    const cached = this.graphs.get(key);
    if (cached) return cached.dispatches;
    const ctx: KernelContext = { gpu: this.gpu, tuning: this.tuning, pipelines: this.pipelines, step: this.step, owned: [] };
    const dispatches = recordForward(ctx, this.bundle.config, this.weights, this.kv, this.act, T, pick);
    if (T === 1 || T === this.prefillChunk) {
      this.graphs.set(key, { dispatches, owned: ctx.owned });
    } else {
      void this.gpu.device.queue.onSubmittedWorkDone().then(() => ctx.owned.forEach((b) => b.destroy()));
    }
    return dispatches;
  }

  /** The sampler settings and the penalty mask (ids in context) of this generation, on the GPU. */
  private startSampler(s: ResolvedSettings, promptIds: number[]): Uint32Array {
    const { device } = this.gpu;
    const mask = penaltyMask(this.bundle.config.vocabSize, s.repetitionPenalty !== 1 ? promptIds : []);
    device.queue.writeBuffer(this.act.pick.penalized, 0, mask);
    device.queue.writeBuffer(
      this.act.samplerParams,
      0,
      packUniforms(SAMPLE_PARAMS, {
        vocab: this.bundle.config.vocabSize,
        temperature: s.temperature || 1,
        topK: s.topK,
        topP: s.topP,
        penalty: s.repetitionPenalty,
        pad: 0,
      }),
    );
    return mask;
  }

  /** Adds a generated id to the penalty mask: one word written, the step after sees it. */
  private notePenalized(s: ResolvedSettings, mask: Uint32Array, id: number): void {
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if (s.repetitionPenalty === 1 || mask[word] & bit) return;
    mask[word] |= bit;
    this.gpu.device.queue.writeBuffer(this.act.pick.penalized, word * 4, mask, word, 1);
  }
}

function isBundle(x: ModelInput | ModelBundle): x is ModelBundle {
  return typeof x === 'object' && x !== null && 'tensors' in x && 'config' in x;
}
