// @vitest-environment jsdom
/** The answer renderer on Markdown, math and hostile strings: output can never carry script. */
import { describe, expect, test } from 'vitest';
import { renderMarkdown } from '../../src/ui/markdown.ts';

/** Parses rendered HTML the way the chat element inserts it. */
function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

/** Every element and attribute that could run code or fetch something. */
function dangers(root: HTMLElement): string[] {
  const found: string[] = [];
  for (const el of root.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'object', 'embed', 'img', 'style', 'form', 'svg:script', 'foreignobject'].includes(tag)) found.push(`<${tag}>`);
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) found.push(`${tag}[${a.name}]`);
      if (/^\s*(javascript|data|vbscript):/i.test(a.value)) found.push(`${tag}[${a.name}=${a.value}]`);
      if (a.name === 'srcdoc' || a.name === 'formaction') found.push(`${tag}[${a.name}]`);
    }
  }
  return found;
}

describe('renderMarkdown', () => {
  test('Markdown: emphasis, lists, code blocks with their language', () => {
    const root = dom(renderMarkdown('**bold** and *it*\n\n- one\n- two\n\n```ts\nconst x = 1 < 2;\n```'));
    expect(root.querySelector('strong')?.textContent).toBe('bold');
    expect(root.querySelectorAll('li')).toHaveLength(2);
    const code = root.querySelector('pre code')!;
    expect(code.className).toBe('language-ts');
    expect(code.textContent).toBe('const x = 1 < 2;\n');
  });

  test('math: inline $…$ and \\(…\\), display $$…$$ and \\[…\\] typeset by KaTeX', () => {
    const root = dom(renderMarkdown('Euler: $e^{i\\pi}+1=0$ and \\(a^2\\).\n\n$$\\int_0^1 x\\,dx = \\frac12$$\n\n\\[ \\sum_i i \\]'));
    expect(root.querySelectorAll('.katex')).toHaveLength(4);
    expect(root.querySelectorAll('.math-block .katex-display')).toHaveLength(2);
    expect(root.querySelector('.katex-mathml math')).not.toBeNull();
  });

  test('dollar amounts and code stay text', () => {
    const root = dom(renderMarkdown('It costs $5 and $10. Use `$x$` literally.'));
    expect(root.querySelector('.katex')).toBeNull();
    expect(root.textContent).toContain('$5 and $10');
    expect(root.querySelector('code')?.textContent).toBe('$x$');
  });

  test('broken TeX renders as an error mark, not an exception', () => {
    const root = dom(renderMarkdown('$\\frac{1$ ok'));
    expect(root.textContent).toContain('ok');
  });

  const HOSTILE = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload=alert(1)><script>alert(1)</script></svg>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<details open ontoggle=alert(1)>',
    '![x](https://example.com/track.png)',
    '<style>*{background:url(https://example.com/x)}</style>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '$\\href{javascript:alert(1)}{x}$',
    '$\\url{javascript:alert(1)}$',
    '<form><button formaction=javascript:alert(1)>x</button></form>',
    '```\n</code></pre><script>alert(1)</script>\n```',
    '`<img src=x onerror=alert(1)>`',
    '<!-- <img src=x onerror=alert(1)> -->',
    '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
  ];

  test.each(HOSTILE)('hostile output is inert: %s', (text) => {
    expect(dangers(dom(renderMarkdown(text)))).toEqual([]);
  });

  test('raw HTML is shown as the text it is', () => {
    const root = dom(renderMarkdown('Try <script>alert(1)</script> and <img src=x onerror=alert(1)>'));
    expect(root.textContent).toContain('<script>alert(1)</script>');
    expect(root.textContent).toContain('<img src=x onerror=alert(1)>');
  });

  test('links keep http(s) targets, open in a new tab and lose javascript: ones', () => {
    const root = dom(renderMarkdown('[ok](https://example.com/a) [bad](javascript:alert(1))'));
    const [ok, bad] = root.querySelectorAll('a');
    expect(ok.getAttribute('href')).toBe('https://example.com/a');
    expect(ok.getAttribute('rel')).toContain('noopener');
    expect(ok.getAttribute('target')).toBe('_blank');
    expect(bad?.getAttribute('href') ?? null).toBeNull();
  });

  test('an image becomes a link, so output cannot make the page fetch anything', () => {
    const root = dom(renderMarkdown('![chart](https://example.com/c.png)'));
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('a')?.getAttribute('href')).toBe('https://example.com/c.png');
  });

  test('an unfinished stream renders: open code fence, half a formula', () => {
    expect(dom(renderMarkdown('```py\nprint(1)')).querySelector('pre code')?.textContent).toContain('print(1)');
    expect(dom(renderMarkdown('so $x^2 + ')).textContent).toContain('$x^2 +');
  });
});
