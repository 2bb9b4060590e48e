import { describe, expect, it } from 'vitest';
import { modelKeyOf } from '../../src/store/model-key.ts';
import { catalogOptions, MODEL_CATALOG } from '../../src/ui/model-catalog.ts';

describe('model catalog', () => {
  it('suggests only sources the loader takes: Hugging Face GGUF files and safetensors repos', () => {
    for (const { source } of MODEL_CATALOG) {
      const key = modelKeyOf(source);
      expect(key.hf, source).not.toBeNull();
      expect(key.kind, source).toBe(source.endsWith('.gguf') ? 'gguf' : 'folder');
    }
    expect(new Set(MODEL_CATALOG.map((e) => e.source)).size).toBe(MODEL_CATALOG.length);
  });

  it('covers every R1 distill size a browser GPU can hold, in both formats', () => {
    const sources = `${MODEL_CATALOG.map((e) => e.source).join('\n')}\n`;
    for (const model of ['Distill-Qwen-1.5B', 'Distill-Qwen-7B', 'Distill-Llama-8B', '0528-Qwen3-8B']) {
      expect(sources).toContain(`${model}-Q4_K_M.gguf`);
      expect(sources).toContain(`deepseek-ai/DeepSeek-R1-${model}\n`);
    }
  });

  it('renders one <option> per entry, with nothing to escape', () => {
    const html = catalogOptions();
    expect(html.match(/<option /g)).toHaveLength(MODEL_CATALOG.length);
    for (const e of MODEL_CATALOG) expect(`${e.source}${e.label}`).not.toMatch(/[<>"&]/);
  });
});
