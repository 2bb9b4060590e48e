/**
 * Model text to safe HTML: Markdown (marked) with code blocks and LaTeX math (KaTeX), then
 * DOMPurify. Model output is untrusted (a prompt can make a model write anything), so two layers
 * stand between it and the page: raw HTML in the Markdown is escaped and shown as text, and the
 * final HTML is sanitized with an allow-list that leaves no script, event handler or
 * `javascript:` URL. Images become links so that output cannot make the browser fetch anything.
 */
import DOMPurify from 'dompurify';
import katex from 'katex';
import { Marked, type TokenizerExtension, type RendererExtension, type Tokens } from 'marked';

interface MathToken extends Tokens.Generic {
  type: 'math';
  raw: string;
  tex: string;
  display: boolean;
}

// ---- math ----

/** `$$…$$` / `\[…\]` as a block of their own. */
const BLOCK_MATH = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/;
/**
 * Inline: `$$…$$`, `\(…\)` and `$…$`. A single-dollar span must hug its content (`$x$`, not
 * `$ x $`), not be followed by a digit and not run into a code span, so prices such as "$5 and
 * $10" stay text.
 */
const INLINE_MATH = /^(?:\$\$([\s\S]+?)\$\$|\\\(([\s\S]+?)\\\)|\$(?!\s)((?:\\\$|[^$\n`])+?)(?<!\s)\$(?!\d))/;

const blockMath: TokenizerExtension & RendererExtension = {
  name: 'math',
  level: 'block',
  start: (src) => src.match(/\$\$|\\\[/)?.index,
  tokenizer(src) {
    const m = BLOCK_MATH.exec(src);
    if (!m) return undefined;
    return { type: 'math', raw: m[0], tex: (m[1] ?? m[2]).trim(), display: true } satisfies MathToken;
  },
  renderer: (t) => `<div class="math-block">${renderTex((t as MathToken).tex, true)}</div>`,
};

const inlineMath: TokenizerExtension & RendererExtension = {
  name: 'inlineMath',
  level: 'inline',
  start: (src) => src.match(/\$|\\\(/)?.index,
  tokenizer(src) {
    const m = INLINE_MATH.exec(src);
    if (!m) return undefined;
    const display = m[1] !== undefined;
    return { type: 'inlineMath', raw: m[0], tex: (m[1] ?? m[2] ?? m[3]).trim(), display };
  },
  renderer: (t) => renderTex((t as MathToken).tex, (t as MathToken).display),
};

/** A block re-rendered while it streams typesets its formulas again: those already typeset are reused. */
const texCache = new Map<string, string>();
const TEX_CACHE_ENTRIES = 500;

function renderTex(tex: string, display: boolean): string {
  const key = `${display ? 'D' : 'I'}${tex}`;
  let html = texCache.get(key);
  if (html === undefined) {
    // trust: false keeps \href, \url and \htmlClass inert; maxExpand stops macro bombs.
    html = katex.renderToString(tex, { displayMode: display, throwOnError: false, trust: false, strict: 'ignore', maxExpand: 1000, maxSize: 20 });
    if (texCache.size >= TEX_CACHE_ENTRIES) texCache.delete(texCache.keys().next().value!);
    texCache.set(key, html);
  }
  return html;
}

// ---- markdown ----

const marked = new Marked({
  gfm: true,
  breaks: true,
  extensions: [blockMath, inlineMath],
  renderer: {
    // Raw HTML written by the model is shown as the text it is.
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) => `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`,
  },
});

// ---- sanitizing ----

/** The sanitizer cannot work here (no DOM): model output is not shown rather than shown unsanitized. */
export class SanitizerUnavailableError extends Error {
  override name = 'SanitizerUnavailableError';
}

const purify = DOMPurify(window);
// DOMPurify hands input back unchanged where it cannot work: refuse instead of passing it through.
if (!purify.isSupported) throw new SanitizerUnavailableError('the HTML sanitizer (DOMPurify) does not work in this environment, so model output cannot be shown safely');
// Links open in a new tab and tell the target nothing about this page.
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

const PURIFY_CONFIG = {
  // html + KaTeX's MathML and SVG (square roots, large delimiters).
  USE_PROFILES: { html: true, mathMl: true, svg: true },
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'img', 'video', 'audio', 'source'],
  FORBID_ATTR: ['id', 'name', 'srcset', 'xlink:href'],
  ALLOW_DATA_ATTR: false,
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
};

/**
 * Markdown split into its top-level blocks (paragraphs, lists, code, math...), each rendered on its
 * own: a streaming view re-renders only the blocks whose source changed. Reference links defined
 * anywhere reach every block (`links`).
 */
export interface MarkdownBlocks {
  /** Each block's source text, in order (blank lines between blocks are blocks of their own). */
  sources: string[];
  /** The reference-link definitions, as a string that changes when any of them does. */
  linksKey: string;
  /**
   * Block `i` as sanitized nodes (none for blank lines). The sanitizer's own tree is handed over:
   * no serializing and parsing again, so what was checked is what is shown.
   */
  render(i: number): DocumentFragment;
}

export function markdownBlocks(text: string): MarkdownBlocks {
  const tokens = marked.lexer(text);
  return {
    sources: tokens.map((t) => t.raw),
    linksKey: JSON.stringify(tokens.links),
    render(i) {
      const one = Object.assign([tokens[i]], { links: tokens.links });
      return purify.sanitize(marked.parser(one), { ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true });
    },
  };
}

/** Markdown with math as sanitized HTML: the blocks a streaming view shows, joined. */
export function renderMarkdown(text: string): string {
  const blocks = markdownBlocks(text);
  const box = document.createElement('div');
  box.append(...blocks.sources.map((_, i) => blocks.render(i)));
  return box.innerHTML;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
