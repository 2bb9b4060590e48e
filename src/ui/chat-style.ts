/**
 * <r1-chat>'s styles, inside its shadow root. Light unless the element has theme="dark", or
 * theme="auto" and the system asks for dark. Pages restyle it through CSS custom properties
 * (--r1-accent, --r1-bg, --r1-fg, --r1-font, --r1-border for decorative edges, --r1-control-border for the
 * edges of the question box and buttons, ...), which win over both palettes (so a page that sets
 * colours for one palette should set `theme` to it), and ::part(messages | message | user | assistant |
 * thinking | answer | copy | copy-code | edit | edit-question | turn-note | turn-waiting | left-out-label | answer-versions | to-latest |
 * input | send | stop | regenerate | new-chat | stats | notice | status).
 */
import katexCss from 'katex/dist/katex.min.css?inline';

/**
 * Browsers ignore @font-face inside shadow roots, so KaTeX's fonts are declared once in the
 * document (installMathFonts) and the rest of its stylesheet goes in each shadow root.
 */
const [katexFonts, katexRules] = splitFontFaces(katexCss);

/** The dark palette, one list for theme="dark" and for theme="auto" under a dark system theme. */
const DARK_PALETTE = `
  --r1-accent: #3a6fd8; --r1-link: #8ab0ff; --r1-bg: #1c1c1e; --r1-fg: #e8e8e4; --r1-muted: #a3a39c; --r1-border: #3b3b40; --r1-control-border: #6e6e75;
  --r1-user-bg: #26406b; --r1-assistant-bg: #232326; --r1-code-bg: #2d2d33; --r1-error: #ff8a80;
  --r1-notice-bg: #3a3120; --r1-notice-border: #8a6d2a; color-scheme: dark;`;

export const CHAT_CSS = `
:host {
  --r1-accent: #2f6fde; --r1-bg: #ffffff; --r1-fg: #1d1d1b; --r1-muted: #6b6b66; --r1-border: #e2e2dc; --r1-control-border: #8a8a84;
  --r1-user-bg: #dbe8ff; --r1-assistant-bg: #ffffff; --r1-code-bg: #f3f3ef; --r1-radius: .6rem;
  --r1-link: var(--r1-accent); --r1-error: #b3261e; --r1-notice-bg: #fff8e6; --r1-notice-border: #e0b252; color-scheme: light;
  --r1-font: system-ui, sans-serif; --r1-font-mono: ui-monospace, SFMono-Regular, Menlo, monospace;
  display: flex; flex-direction: column; gap: .5rem; min-height: 16rem;
  font-family: var(--r1-font); color: var(--r1-fg); background: var(--r1-bg);
  border: 1px solid var(--r1-border); border-radius: var(--r1-radius); padding: .75rem; box-sizing: border-box;
}
:host([theme=dark]) {${DARK_PALETTE} }
@media (prefers-color-scheme: dark) { :host([theme=auto]) {${DARK_PALETTE} } }
[hidden] { display: none !important; }
.status { display: flex; gap: .5rem; align-items: center; font-size: .85rem; color: var(--r1-muted); }
.status progress { flex: 0 0 10rem; accent-color: var(--r1-accent); }
/* Given a height (by the page, or as the app's flex item), the element keeps it and its messages scroll. */
.messages-box { flex: 1; min-height: 6rem; position: relative; display: flex; flex-direction: column; }
.messages { flex: 1; min-height: 0; display: flex; flex-direction: column; gap: .6rem; overflow-y: auto; overscroll-behavior: contain; }
.msg { padding: .55rem .8rem; border-radius: var(--r1-radius); max-width: 92%; overflow-wrap: anywhere; }
.msg.user { align-self: flex-end; background: var(--r1-user-bg); white-space: pre-wrap; }
.question-actions { align-self: flex-end; margin-top: -.45rem; }
.question-actions button { font-size: .75rem; padding: .05rem .45rem; color: var(--r1-muted); border-color: transparent; background: transparent; }
.question-actions button:hover, .question-actions button:focus { border-color: var(--r1-border); color: var(--r1-fg); }
.edit-question { align-self: stretch; display: flex; gap: .4rem; align-items: flex-end; flex-wrap: wrap; }
.edit-question .edit-note { flex-basis: 100%; margin: 0; font-size: .8rem; color: var(--r1-muted); }
.edit-question textarea { flex: 1 1 16rem; padding: .5rem; font: inherit; border: 1px solid var(--r1-accent); border-radius: .4rem; resize: vertical; background: var(--r1-bg); color: inherit; }
.msg.assistant { align-self: stretch; background: var(--r1-assistant-bg); border: 1px solid var(--r1-border); }
.msg.failed { border-color: var(--r1-error); }
details.thinking { color: var(--r1-muted); font-size: .9rem; margin-bottom: .3rem; border-left: 3px solid var(--r1-border); padding-left: .6rem; }
/* The marker inside the summary's box: outside, it is drawn over the border on the left. */
details.thinking summary { cursor: pointer; font-style: italic; list-style-position: inside; }
.answer:empty { display: none; }
.turn-note { color: var(--r1-muted); font-size: .8rem; font-style: italic; margin: .2rem 0 0; }
.turn-note.error { color: var(--r1-error); font-style: normal; }
/* Before the first word: the prompt being read (long for a long conversation on a slow GPU). */
.turn-waiting { color: var(--r1-muted); font-size: .85rem; font-style: italic; margin: 0; animation: r1-pulse 1.6s ease-in-out infinite; }
@keyframes r1-pulse { 50% { opacity: .45; } }
@media (prefers-reduced-motion: reduce) { .turn-waiting { animation: none; } }
/* Turns left out of what the model is given, to make room: still shown, greyed, and said so. */
.msg.left-out { opacity: .6; }
.left-out-label { align-self: center; margin: 0; font-size: .75rem; color: var(--r1-muted); }
/* "‹ 2 / 3 ›": which of a question's answers is shown. */
.answer-versions { align-self: flex-start; display: flex; gap: .3rem; align-items: center; margin-top: -.35rem; font-size: .8rem; color: var(--r1-muted); }
.answer-versions button { font-size: .85rem; line-height: 1; padding: .1rem .45rem; }
.md > :first-child { margin-top: 0; }
.md > :last-child { margin-bottom: 0; }
.md p { margin: .4rem 0; }
.md pre { background: var(--r1-code-bg); padding: .6rem; border-radius: .4rem; overflow-x: auto; }
.md .code-block { position: relative; }
.md .code-block > .copy-code { position: absolute; top: .3rem; right: .3rem; font-size: .75rem; padding: .1rem .45rem; opacity: .75; }
.md .code-block > .copy-code:hover, .md .code-block > .copy-code:focus { opacity: 1; }
.copy-answer { font-size: .75rem; padding: .1rem .5rem; margin-top: .35rem; color: var(--r1-muted); }
.md code { font-family: var(--r1-font-mono); font-size: .9em; }
.md :not(pre) > code { background: var(--r1-code-bg); padding: .05rem .25rem; border-radius: .25rem; }
.md a { color: var(--r1-link); }
/* A wide table scrolls sideways rather than squeezing its cells: headers stay on one line, and words
   in cells break only at spaces and hyphens (.msg's overflow-wrap: anywhere would break them letter
   by letter on a phone). */
.md table { border-collapse: collapse; display: block; width: max-content; max-width: 100%; overflow-x: auto; }
.md th, .md td { border: 1px solid var(--r1-border); padding: .2rem .5rem; overflow-wrap: normal; }
.md th { white-space: nowrap; }
.md td { min-width: 4em; }
.md blockquote { margin: .4rem 0; padding: 0 0 0 .75rem; border-left: 3px solid var(--r1-control-border); color: var(--r1-muted); }
.md .math-block { overflow-x: auto; }
.notice { border: 1px solid var(--r1-notice-border); background: var(--r1-notice-bg); border-radius: var(--r1-radius); padding: .5rem .75rem; font-size: .9rem; }
.notice p { margin: 0 0 .4rem; }
.composer { display: flex; gap: .5rem; align-items: flex-end; flex-wrap: wrap; }
.composer textarea { flex: 1 1 16rem; padding: .5rem; font: inherit; border: 1px solid var(--r1-control-border); border-radius: .4rem; resize: vertical; background: var(--r1-bg); color: inherit; }
button { font: inherit; padding: .4rem .8rem; border-radius: .4rem; border: 1px solid var(--r1-control-border); background: var(--r1-bg); color: var(--r1-fg); cursor: pointer; }
button.primary { background: var(--r1-accent); border-color: var(--r1-accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
/* Over the bottom of the messages (out of their flow: showing it changes no size), while the reader is scrolled up. */
.to-latest { position: absolute; bottom: .4rem; left: 50%; transform: translateX(-50%); z-index: 1; font-size: .8rem; padding: .2rem .7rem; border-radius: 1rem; box-shadow: 0 1px 4px rgb(0 0 0 / .25); }
.stats { color: var(--r1-muted); font-size: .8rem; min-height: 1em; margin: 0; }
${katexRules}
`;

/** [the @font-face rules, everything else]; one reference to the stylesheet, so bundlers keep one copy. */
function splitFontFaces(css: string): [string, string] {
  const fontFace = /@font-face\s*{[^}]*}/g;
  return [(css.match(fontFace) ?? []).join('\n'), css.replace(fontFace, '')];
}

/** Declares KaTeX's fonts in the document, once per document. */
export function installMathFonts(doc: Document): void {
  if (doc.getElementById('r1-katex-fonts')) return;
  const style = doc.createElement('style');
  style.id = 'r1-katex-fonts';
  style.textContent = katexFonts;
  doc.head.append(style);
}
