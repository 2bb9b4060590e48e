// @vitest-environment jsdom
/**
 * The streaming Markdown view: shown a chunk at a time, it ends as the whole text rendered at once,
 * and blocks whose source did not change keep their nodes (selections and buttons survive).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { renderMarkdown } from '../../src/ui/markdown.ts';
import { createMarkdownView } from '../../src/ui/markdown-view.ts';

/** The HTML of `text` rendered at once, as the DOM serializes it. */
function atOnce(text: string): string {
  const div = document.createElement('div');
  div.innerHTML = renderMarkdown(text);
  return div.innerHTML;
}

function streamed(text: string, cuts: number[], decorate?: (b: DocumentFragment) => void): HTMLElement {
  const el = document.createElement('div');
  const view = createMarkdownView(el, decorate);
  for (const cut of [...cuts].sort((a, b) => a - b)) view.show(text.slice(0, cut));
  view.show(text);
  return el;
}

const PIECES = [
  'A paragraph with **bold** and `code`.',
  'Title\n===',
  '## Heading',
  '- one\n- two\n  - nested',
  '1. first\n2. second',
  '> quoted\n> more',
  '```js\nconst x = "<b>";\n```',
  '$$\\frac{1}{2}$$',
  'Inline $x^2$ math and \\(y\\).',
  '| a | b |\n|---|---|\n| 1 | 2 |',
  'See [the ref][r] and [a link](https://example.org).',
  '[r]: https://example.org/ref',
  '<script>alert(1)</script> raw html',
  '---',
  'Line one\nline two',
];

test('streamed in any chunks, the view ends as the text rendered at once', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }),
      fc.constantFrom('\n\n', '\n', ' '),
      fc.array(fc.nat(), { maxLength: 12 }),
      (pieces, sep, cutSeeds) => {
        const text = pieces.join(sep);
        const cuts = cutSeeds.map((c) => c % (text.length + 1));
        expect(streamed(text, cuts).innerHTML).toBe(atOnce(text));
      },
    ),
    { numRuns: 150 },
  );
});

test('blocks above the one streaming keep their nodes; only new blocks are decorated', () => {
  const el = document.createElement('div');
  const decorated: string[] = [];
  const view = createMarkdownView(el, (b) => decorated.push(b.textContent ?? ''));
  view.show('First paragraph.\n\n```js\nlet a');
  const first = el.querySelector('p')!;
  const pre = el.querySelector('pre')!;
  view.show('First paragraph.\n\n```js\nlet a = 1;\n```\n\nAnd th');
  expect(el.querySelector('p')).toBe(first);
  // The code block's source changed (its fence closed): it is rendered anew, once.
  expect(el.querySelector('pre')).not.toBe(pre);
  const closed = el.querySelector('pre')!;
  view.show('First paragraph.\n\n```js\nlet a = 1;\n```\n\nAnd then more.');
  expect(el.querySelector('p')).toBe(first);
  expect(el.querySelector('pre')).toBe(closed);
  expect(decorated.filter((t) => t.includes('let a = 1;'))).toHaveLength(1);
  expect(el.innerHTML).toBe(atOnce('First paragraph.\n\n```js\nlet a = 1;\n```\n\nAnd then more.'));
});

test('a later line that changes an earlier block (a setext underline, a link definition) re-renders it', () => {
  const heading = streamed('Title\n===', [6]);
  expect(heading.querySelector('h1')?.textContent).toBe('Title');
  const link = streamed('See [it][r].\n\n[r]: https://example.org/x', [14]);
  expect(link.querySelector('a')?.getAttribute('href')).toBe('https://example.org/x');
});
