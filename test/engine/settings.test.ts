/** Sampling settings: the model's generation_config.json, R1's recommendation where it is silent, checks. */
import { describe, expect, it } from 'vitest';
import { generationDefaults } from '../../src/engine/model-files.ts';
import { resolveSettings } from '../../src/engine/settings.ts';

const R1_GENERATION_CONFIG = { _from_model_config: true, bos_token_id: 151646, eos_token_id: 151643, do_sample: true, temperature: 0.6, top_p: 0.95, transformers_version: '4.44.0' };

describe('generationDefaults', () => {
  it("reads R1's generation_config.json", () => {
    expect(generationDefaults(R1_GENERATION_CONFIG, [151643])).toEqual({ temperature: 0.6, topP: 0.95, topK: 0, repetitionPenalty: 1, eosIds: [151643] });
  });
  it("what a present file leaves out is transformers' and vLLM's default, not R1's; no file leaves it all to resolveSettings", () => {
    expect(generationDefaults({ eos_token_id: 2 }, [2])).toEqual({ temperature: 1, topP: 1, topK: 0, repetitionPenalty: 1, eosIds: [2] });
    expect(generationDefaults(null, [2])).toEqual({ eosIds: [2] });
  });
  it('do_sample false means greedy, as in transformers', () => {
    expect(generationDefaults({ ...R1_GENERATION_CONFIG, do_sample: false }, []).temperature).toBe(0);
  });
  it("adds a list of eos ids to the tokenizer's, once each, ignoring what is not an id", () => {
    expect(generationDefaults({ eos_token_id: [128001, 128008, 128009, 'x'] }, [128001]).eosIds).toEqual([128001, 128008, 128009]);
  });
});

describe('resolveSettings', () => {
  it("takes the caller's options, then the model's, then R1's recommendation", () => {
    const fromModel = resolveSettings({ seed: 1 }, { temperature: 0.7, topP: 0.8, topK: 20, repetitionPenalty: 1.1, eosIds: [2] });
    expect(fromModel).toMatchObject({ temperature: 0.7, topP: 0.8, topK: 20, repetitionPenalty: 1.1, seed: 1 });
    // A GGUF file carries no generation config.
    expect(resolveSettings({ seed: 1 }, { eosIds: [2] })).toMatchObject({ temperature: 0.6, topP: 0.95, topK: 0, repetitionPenalty: 1, maxNewTokens: 512 });
    expect(resolveSettings({ temperature: 0, topP: 1, seed: 1 }, { temperature: 0.7, topP: 0.8, eosIds: [2] })).toMatchObject({ temperature: 0, topP: 1 });
  });
  it('stops at the model’s end-of-sequence ids and the caller’s', () => {
    expect([...resolveSettings({ stopIds: [7], seed: 1 }, { eosIds: [2, 3] }).stopIds]).toEqual([2, 3, 7]);
  });
  it('refuses values out of range, naming them', () => {
    expect(() => resolveSettings({ topP: 0 }, { eosIds: [] })).toThrow(/top-p must be in \(0, 1\], got 0/);
    expect(() => resolveSettings({ temperature: -1 }, { eosIds: [] })).toThrow(/temperature must be 0 \(greedy\) or positive/);
    expect(() => resolveSettings({ maxNewTokens: 1.5 }, { eosIds: [] })).toThrow(/max new tokens must be a positive integer/);
  });
});
