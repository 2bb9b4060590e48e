/**
 * The app's styles, kept in its shadow root (the chat element styles itself, told theme="auto"):
 * light, or dark when the system asks for it. The app fills the height its page gives it: the
 * panels (.top: above the chat, or beside it on a wide screen) scroll on their own, and the chat
 * takes the rest, its messages scrolling inside it, so that the question box stays in view.
 */
export const APP_CSS = `
:host {
  display: flex; flex-direction: column; gap: .75rem; flex: 1; min-height: 0;
  /* --line: decorative borders; --control-line: the edges of controls, 3:1 against the panel. */
  --panel: #fff; --line: #e2e2dc; --control-line: #8a8a84; --muted: #666; --warn: #7a6a2c; --error: #b3261e;
  --accent: #2f6fde; --drop-hover: #eef4ff; color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :host {
    --panel: #1c1c1e; --line: #3b3b40; --control-line: #6e6e75; --muted: #a3a39c; --warn: #d9bf72; --error: #ff8a80;
    --accent: #3a6fd8; --drop-hover: #1f2b44; color-scheme: dark;
  }
}
[hidden] { display: none !important; }
/* Up to what the chat leaves (see r1-chat below), then it scrolls. */
.top { flex: 0 1 auto; min-height: 0; overflow-y: auto; overscroll-behavior: contain; display: flex; flex-direction: column; gap: .75rem; }
.top > * { flex-shrink: 0; }
/* The closed panels share a row; an open one takes a row of its own. */
.panels { display: flex; flex-wrap: wrap; gap: .5rem .75rem; align-items: flex-start; }
.panels > details { flex: 1 1 auto; }
.panels > details[open] { flex-basis: 100%; }
section, details { background: var(--panel); border: 1px solid var(--line); border-radius: .6rem; padding: .6rem .8rem; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.picker form { display: flex; gap: .5rem; flex: 1 1 18rem; min-width: 0; }
.picker form input { flex: 1; min-width: 0; padding: .4rem; font: inherit; }
.note { color: var(--warn); font-size: .85rem; margin: .2rem 0 .5rem; }
.hint { color: var(--muted); font-size: .85rem; }
.options { margin: .5rem 0 .25rem; }
.options label { display: flex; gap: .35rem; align-items: center; min-width: 0; max-width: 100%; }
/* A select is as wide as its longest option unless told otherwise: on a phone that is wider than the screen. */
.options select { min-width: 0; max-width: 100%; font: inherit; padding: .2rem .3rem; border-radius: 6px; border: 1px solid var(--control-line); background: var(--panel); color: inherit; }
.drop { position: relative; border: 2px dashed var(--control-line); border-radius: .5rem; padding: .5rem; margin-top: .5rem; font-size: .9rem; color: var(--muted); }
:host(.dragging) .drop { border-color: var(--accent); background: var(--drop-hover); }
.drop label { text-decoration: underline; cursor: pointer; }
/* Hidden from sight only: the input stays focusable, and its label shows the focus. */
.drop input[type=file] { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.drop label:has(input:focus-visible) { outline: 2px solid var(--accent); outline-offset: 2px; border-radius: 2px; color: inherit; }
.progress { margin-top: .5rem; }
.progress progress { flex: 1; min-width: 10rem; }
.progress-text { font-size: .85rem; color: var(--muted); }
.status { margin: .4rem 0 0; font-size: .9rem; }
.status.error { color: var(--error); }
summary { cursor: pointer; font-weight: 600; }
:is(.cached, .chats) ul { list-style: none; padding: 0; margin: .5rem 0 0; }
:is(.cached, .chats) li { display: flex; gap: .5rem; align-items: center; padding: .2rem 0; flex-wrap: wrap; }
:is(.cached, .chats) .name { flex: 1 1 14rem; min-width: 0; overflow-wrap: anywhere; }
:is(.cached, .chats) .size { color: var(--muted); font-size: .85rem; }
.chats .rename { flex: 1 1 14rem; min-width: 0; font: inherit; padding: .15rem .3rem; }
:is(.cached, .chats) .empty { color: var(--muted); }
.chats li.current .name { font-weight: 600; }
.chats ul { max-height: 14rem; overflow-y: auto; }
.settings .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .5rem 1rem; margin-top: .5rem; }
.settings label { display: flex; flex-direction: column; font-size: .85rem; gap: .15rem; }
.settings label.check { flex-direction: row; align-items: center; gap: .35rem; margin-top: .4rem; }
.settings input { padding: .3rem; font: inherit; }
.settings textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .3rem; }
button { font: inherit; padding: .35rem .75rem; border-radius: .4rem; border: 1px solid var(--control-line); background: var(--panel); color: inherit; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
/* At least this much for the chat (more once a chat is under way); the panels above get the rest. */
r1-chat { flex: 1 1 0; min-height: min(20rem, 50%); }
/* While a chat is shown (the list marks it current), the picker drops its explanations. */
.top:has(#chats li.current) :is(.note, #source-help) { display: none; }
.top:has(#chats li.current) ~ r1-chat { min-height: min(25rem, 65%); }
/* A phone's screen is mostly the chat's, once there is one: the panels scroll in what is left. */
@media (max-width: 40rem) { .top:has(#chats li.current) ~ r1-chat { min-height: 70%; } }
/* A wide screen: the picker and panels in a column of their own, the chat beside them at full height. */
@media (min-width: 64rem) {
  :host { flex-direction: row; }
  .top { flex: 0 0 24rem; }
  .panels > details { flex-basis: 100%; }
  r1-chat, .top:has(#chats li.current) ~ r1-chat { flex: 1 1 0; min-width: 0; min-height: 0; }
}
`;
