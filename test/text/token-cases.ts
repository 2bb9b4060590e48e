import { readFileSync } from 'node:fs';

/** Texts and their ids from an independent tokenizer (written by test/fixtures/text/make-token-cases.ts). */
export const tokenCases = JSON.parse(readFileSync(new URL('../fixtures/text/token-cases.json', import.meta.url), 'utf8')).cases as { text: string; ids: number[] }[];
