/**
 * npm run bench:gemv — the decode GEMVs of one layer on their own (scripts/bench/gemv-table.ts says
 * what is timed and how). On a machine without a GPU: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { gemvTable, parseGemvArgs } from './gemv-table.ts';
import { printTable } from './print-table.ts';

await printTable(async (dawn) => gemvTable(dawn, parseGemvArgs(process.argv.slice(2))));
