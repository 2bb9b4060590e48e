import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeSafetensors } from '../../src/formats/safetensors-writer.ts';
import { encodeWeights } from './encode-weights.ts';
import { BOS, R1_ADDED_TOKENS, R1_GENERATION_CONFIG, r1TokenizerConfig, r1TokenizerJson } from './r1-tokenizer.ts';
import { makeTestModel, TINY_DIMS } from './test-model.ts';
import { TEST_MODEL_DIR } from './test-model-files.ts';

/** The small model's vocabulary: the first 1002 Qwen BPE tokens, then R1's 22 added tokens. */
export const SMALL_VOCAB = 1024;
const BPE_KEPT = SMALL_VOCAB - R1_ADDED_TOKENS.length;
/** Where each of R1's added tokens (EOS 151643, BOS 151646, <think> 151648, ...) sits in the small vocabulary. */
export const SMALL_VOCAB_ID = new Map(R1_ADDED_TOKENS.map(([id], i) => [id, BPE_KEPT + i]));

/**
 * R1's tokenizer cut down to SMALL_VOCAB ids: the BPE tokens below 1002 with the merges among them
 * (Qwen's ids follow merge order, so every kept token's merge is kept), and the added tokens moved
 * to 1002..1023. Text tokenizes into more, shorter pieces; the chat template works unchanged.
 */
function smallTokenizerJson(): Record<string, unknown> {
  const json = r1TokenizerJson() as {
    added_tokens: { id: number }[];
    post_processor: { special_tokens: Record<string, { ids: number[] }> };
    model: { vocab: Record<string, number>; merges: string[] };
  };
  const vocab = Object.fromEntries(Object.entries(json.model.vocab).filter(([, id]) => id < BPE_KEPT));
  json.model.vocab = vocab;
  json.model.merges = json.model.merges.filter((m) => {
    const [a, b] = m.split(' ');
    return a in vocab && b in vocab && a + b in vocab;
  });
  for (const t of json.added_tokens) t.id = SMALL_VOCAB_ID.get(t.id)!;
  json.post_processor.special_tokens[BOS].ids = json.post_processor.special_tokens[BOS].ids.map((id) => SMALL_VOCAB_ID.get(id)!);
  return json;
}

/**
 * A Hugging Face folder (qwen2, F32, TINY_DIMS but a 1024-token vocabulary) for long runs: on a CPU
 * adapter the real 151936-row LM head costs ~150 ms a token, this one a few milliseconds. Random
 * weights: it rambles, and stops only when it happens to pick EOS.
 */
export async function ensureSmallVocabModel(): Promise<string> {
  const out = path.join(TEST_MODEL_DIR, 'qwen2-small-vocab');
  if (await stat(out).catch(() => null)) return out;
  const m = makeTestModel('qwen2', 5, { ...TINY_DIMS, vocabSize: SMALL_VOCAB });
  const eos = SMALL_VOCAB_ID.get(R1_GENERATION_CONFIG.eos_token_id)!;
  const bos = SMALL_VOCAB_ID.get(R1_GENERATION_CONFIG.bos_token_id)!;
  // Written under a temporary name and renamed: a parallel run never sees half a model.
  const tmp = `${out}.tmp-${process.pid}`;
  await mkdir(tmp, { recursive: true });
  const write = (name: string, data: unknown) => writeFile(path.join(tmp, name), JSON.stringify(data, null, 2));
  await write('config.json', { ...m.config, bos_token_id: eos, eos_token_id: eos, torch_dtype: 'float32' });
  await write('generation_config.json', { ...R1_GENERATION_CONFIG, bos_token_id: bos, eos_token_id: eos });
  await write('tokenizer.json', smallTokenizerJson());
  await write('tokenizer_config.json', r1TokenizerConfig());
  const entries = [...m.tensors].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: encodeWeights('f32', t.values) }));
  await writeFile(path.join(tmp, 'model.safetensors'), writeSafetensors(entries, { format: 'pt' }));
  await rename(tmp, out).catch(async (e) => {
    if (!(await stat(out).catch(() => null))) throw e;
  });
  return out;
}
