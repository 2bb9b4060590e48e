/**
 * npm run models [-- --all | --demo]: writes the small random test models to .cache/test-models — GGUF
 * files and Hugging Face folders in the real checkpoints' layouts (Qwen2 vocabulary, R1-Distill
 * tokenizer and chat template). Without --all, one model per architecture. --demo writes only the
 * app's bundled demo model (.cache/demo-model, served at /demo-model/).
 */
import type { GgmlDtype } from '../src/formats/dtypes.ts';
import type { ArchName } from '../src/model/config.ts';
import { ensureTestModel, type TestModelSpec } from './lib/test-model-files.ts';

import path from 'node:path';
import { REPO_ROOT } from './lib/repo-root.ts';

if (process.argv.includes('--demo')) {
  await ensureTestModel({ arch: 'qwen2', format: 'safetensors', dtype: 'f16' }, path.join(REPO_ROOT, '.cache/demo-model'));
  process.exit(0);
}
const all = process.argv.includes('--all');
const specs: TestModelSpec[] = [];
for (const arch of ['qwen2', 'llama', 'qwen3'] as ArchName[]) {
  const ggufTypes: GgmlDtype[] = all ? ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] : ['q8_0'];
  const hfTypes: GgmlDtype[] = all ? ['f32', 'f16', 'bf16'] : ['bf16'];
  for (const dtype of ggufTypes) specs.push({ arch, format: 'gguf', dtype });
  for (const dtype of hfTypes) specs.push({ arch, format: 'safetensors', dtype });
}
for (const s of specs) {
  const t0 = performance.now();
  const file = await ensureTestModel(s);
  console.log(`${file}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
