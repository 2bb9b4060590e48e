import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/model/config.ts';
import { RefModel, type RefTap } from '../../src/ref/forward.ts';
import { embed, rmsNorm } from '../../src/ref/ops.ts';
import { maxDiff, normals, tinyConfig, tinyWeights } from './tiny-model.ts';

const IDS = [3, 17, 0, 31, 8, 8, 22];
const ARCHS: ModelConfig['arch'][] = ['qwen2', 'llama', 'qwen3'];

/** Logits of the last token. */
const last = (logits: Float64Array, V: number) => logits.subarray(logits.length - V);

describe('RefModel', () => {
  for (const arch of ARCHS) {
    it(`${arch}: prefill equals token-by-token decode, and chunked prefill`, () => {
      const c = tinyConfig(arch);
      const m = new RefModel(c, tinyWeights(c));
      const full = m.forward(IDS); // [T, V]
      expect(full.length).toBe(IDS.length * c.vocabSize);
      expect(m.length).toBe(IDS.length);

      m.reset();
      let step: Float64Array = new Float64Array(0);
      for (const id of IDS) step = m.forward([id]);
      expect(maxDiff(step, last(full, c.vocabSize))).toBeLessThan(1e-12);

      m.reset();
      const chunked = new Float64Array([...m.forward(IDS.slice(0, 3)), ...m.forward(IDS.slice(3))]);
      expect(maxDiff(chunked, full)).toBeLessThan(1e-12);
    });
  }

  it('grows the cache past its first allocation', () => {
    const c = tinyConfig('llama', { nLayers: 1 });
    const m = new RefModel(c, tinyWeights(c));
    const ids = Array.from({ length: 40 }, (_, t) => (t * 7) % c.vocabSize);
    const full = m.forward(ids);
    m.reset();
    m.forward(ids.slice(0, 15));
    let step: Float64Array = new Float64Array(0);
    for (const id of ids.slice(15)) step = m.forward([id]);
    expect(maxDiff(step, last(full, c.vocabSize))).toBeLessThan(1e-12);
  });

  it('grouped-query attention equals the model with repeated kv heads', () => {
    const c = tinyConfig('qwen2'); // nH 4, nKv 2: query heads 2j and 2j+1 read kv head j
    const w = tinyWeights(c);
    const expanded = new Map(w);
    const D = c.headDim;
    const repeat = (t: Float64Array, rowsPerHead: number) => {
      const out = new Float64Array(t.length * 2);
      for (let h = 0; h < c.nKvHeads; h++) {
        const head = t.subarray(h * rowsPerHead, (h + 1) * rowsPerHead);
        out.set(head, 2 * h * rowsPerHead);
        out.set(head, (2 * h + 1) * rowsPerHead);
      }
      return out;
    };
    for (let i = 0; i < c.nLayers; i++)
      for (const kv of ['k', 'v']) {
        const p = `model.layers.${i}.self_attn.${kv}_proj.`;
        expanded.set(`${p}weight`, repeat(w.get(`${p}weight`)!, D * c.hiddenSize)); // [nH*D, H]
        expanded.set(`${p}bias`, repeat(w.get(`${p}bias`)!, D)); //                     [nH*D]
      }
    const gqa = new RefModel(c, w).forward(IDS);
    const mha = new RefModel({ ...c, nKvHeads: c.nHeads }, expanded).forward(IDS);
    expect(maxDiff(gqa, mha)).toBeLessThan(1e-12);
  });

  it('qwen3 applies q_norm and k_norm', () => {
    const c = tinyConfig('qwen3');
    const w = tinyWeights(c);
    const base = new RefModel(c, w).forward(IDS);
    for (const name of ['model.layers.1.self_attn.q_norm.weight', 'model.layers.0.self_attn.k_norm.weight']) {
      const changed = new Map(w).set(name, normals(99, c.headDim));
      expect(maxDiff(new RefModel(c, changed).forward(IDS), base)).toBeGreaterThan(1e-3);
    }
    const missing = new Map(w);
    missing.delete('model.layers.1.self_attn.k_norm.weight');
    expect(() => new RefModel(c, missing)).toThrow('"model.layers.1.self_attn.k_norm.weight"');
  });

  it('qwen2 with zero biases equals llama with the same weights; nonzero biases matter', () => {
    const llama = tinyConfig('llama');
    const w = tinyWeights(llama);
    const qwen2: ModelConfig = { ...llama, arch: 'qwen2', qkvBias: true };
    const zeroBias = new Map(w);
    for (let i = 0; i < llama.nLayers; i++)
      for (const [p, n] of [['q', llama.nHeads], ['k', llama.nKvHeads], ['v', llama.nKvHeads]] as const)
        zeroBias.set(`model.layers.${i}.self_attn.${p}_proj.bias`, new Float64Array(n * llama.headDim));
    const want = new RefModel(llama, w).forward(IDS);
    expect(maxDiff(new RefModel(qwen2, zeroBias).forward(IDS), want)).toBe(0);
    zeroBias.set('model.layers.0.self_attn.v_proj.bias', normals(5, llama.nKvHeads * llama.headDim));
    expect(maxDiff(new RefModel(qwen2, zeroBias).forward(IDS), want)).toBeGreaterThan(1e-3);
  });

  it('tied embeddings use the embedding table as the LM head', () => {
    const c = tinyConfig('qwen2', { tieEmbeddings: true });
    const w = tinyWeights(c);
    expect(w.has('lm_head.weight')).toBe(false);
    const untied = new Map(w).set('lm_head.weight', w.get('model.embed_tokens.weight')!);
    const want = new RefModel({ ...c, tieEmbeddings: false }, untied).forward(IDS);
    expect(maxDiff(new RefModel(c, w).forward(IDS), want)).toBe(0);
  });

  it('names a missing or mis-sized tensor', () => {
    const c = tinyConfig('llama');
    const w = tinyWeights(c);
    w.delete('lm_head.weight');
    expect(() => new RefModel(c, w)).toThrow('missing tensor "lm_head.weight"');
    const c2 = tinyConfig('qwen2');
    const w2 = tinyWeights(c2).set('model.layers.1.mlp.up_proj.weight', new Float64Array(3));
    expect(() => new RefModel(c2, w2)).toThrow('"model.layers.1.mlp.up_proj.weight" has 3 values, expected [24, 16]');
  });

  it('rope_freqs.weight divisors act like the llama3 scaling they encode', () => {
    const scaling = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 32 } as const;
    const c = tinyConfig('llama');
    const w = tinyWeights(c);
    const scaled = new RefModel({ ...c, ropeScaling: scaling }, w);
    // With D = 4 and theta 1e4, inv_freq is [1, 0.01]: wavelengths 2π (< 32/4, kept) and 200π (> 32, /8).
    const divisors = new RefModel(c, new Map(w).set('rope_freqs.weight', Float64Array.of(1, 8)));
    expect(maxDiff(divisors.forward(IDS), scaled.forward(IDS))).toBeLessThan(1e-12);
  });

  it('runs YaRN configs with their attention factor', () => {
    const c = tinyConfig('qwen3');
    const w = tinyWeights(c);
    const yarn = (attentionFactor: number) =>
      new RefModel({ ...c, ropeScaling: { type: 'yarn', factor: 4, originalMaxPositions: 16, betaFast: 32, betaSlow: 1, attentionFactor, truncate: true } }, w);
    const a = yarn(1).forward(IDS);
    expect(maxDiff(a, new RefModel(c, w).forward(IDS))).toBeGreaterThan(1e-6);
    expect(maxDiff(yarn(1.2).forward(IDS), a)).toBeGreaterThan(1e-6);
  });

  it('the hook sees every intermediate in order, with their shapes', () => {
    const c = tinyConfig('qwen3');
    const w = tinyWeights(c);
    const seen: [number, RefTap, Float64Array][] = [];
    const m = new RefModel(c, w, (layer, name, value) => seen.push([layer, name, Float64Array.from(value)]));
    const T = 2;
    m.forward([5, 9]);
    const perLayer: RefTap[] = ['attn_norm', 'q', 'k', 'v', 'attn', 'attn_out', 'ffn_norm', 'ffn_act', 'ffn_out', 'resid'];
    expect(seen.map(([l, n]) => `${l}:${n}`)).toEqual([
      ...[0, 1].flatMap((l) => perLayer.map((n) => `${l}:${n}`)),
      `${c.nLayers}:final_norm`,
    ]);
    const size = (n: RefTap) => seen.find(([l, name]) => l === 0 && name === n)![2].length;
    expect(size('q')).toBe(T * c.nHeads * c.headDim);
    expect(size('k')).toBe(T * c.nKvHeads * c.headDim);
    expect(size('ffn_act')).toBe(T * c.ffnSize);
    const attnNorm = rmsNorm(embed(w.get('model.embed_tokens.weight')!, [5, 9], c.hiddenSize), w.get('model.layers.0.input_layernorm.weight')!, c.rmsEps);
    expect(maxDiff(seen[0][2], attnNorm)).toBe(0);
  });

  it('at position 0 each query head outputs the v of its kv head', () => {
    const c = tinyConfig('llama', { nHeads: 4, nKvHeads: 2 });
    const got = new Map<string, Float64Array>();
    new RefModel(c, tinyWeights(c), (l, n, v) => l === 0 && got.set(n, v)).forward([7]);
    const [v, attn, D] = [got.get('v')!, got.get('attn')!, c.headDim]; // [1, nKv*D], [1, nH*D]
    for (let h = 0; h < c.nHeads; h++) {
      const kv = Math.floor(h / 2);
      expect(Array.from(attn.subarray(h * D, (h + 1) * D))).toEqual(Array.from(v.subarray(kv * D, (kv + 1) * D)));
    }
  });
});
