/**
 * npm run bench:sampler — the token pick on its own (scripts/bench/sampler-table.ts says what is timed).
 * On a machine without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { printTable } from './print-table.ts';
import { samplerTable } from './sampler-table.ts';

await printTable(samplerTable);
