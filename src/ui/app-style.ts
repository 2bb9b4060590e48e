/**
 * The app's styles, kept in its shadow root (the chat element styles itself, told theme="auto"):
 * light, or dark when the system asks for it.
 */
export const APP_CSS = `
:host {
  display: flex; flex-direction: column; gap: .75rem; flex: 1;
  --panel: #fff; --line: #e2e2dc; --control-line: #c9c9c0; --muted: #666; --warn: #7a6a2c; --error: #b3261e;
  --accent: #2f6fde; --drop-hover: #eef4ff; color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :host {
    --panel: #1c1c1e; --line: #3b3b40; --control-line: #4a4a50; --muted: #a3a39c; --warn: #d9bf72; --error: #ff8a80;
    --accent: #3a6fd8; --drop-hover: #1f2b44; color-scheme: dark;
  }
}
[hidden] { display: none !important; }
section, details { background: var(--panel); border: 1px solid var(--line); border-radius: .6rem; padding: .6rem .8rem; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.picker form { display: flex; gap: .5rem; flex: 1; min-width: 18rem; }
.picker form input { flex: 1; padding: .4rem; font: inherit; }
.note { color: var(--warn); font-size: .85rem; margin: .2rem 0 .5rem; }
.hint { color: var(--muted); font-size: .85rem; }
.options label { display: flex; gap: .35rem; align-items: center; }
.options select { font: inherit; padding: .2rem .3rem; border-radius: 6px; border: 1px solid var(--control-line); background: var(--panel); color: inherit; }
.drop { border: 2px dashed var(--control-line); border-radius: .5rem; padding: .5rem; margin-top: .5rem; font-size: .9rem; color: var(--muted); }
:host(.dragging) .drop { border-color: var(--accent); background: var(--drop-hover); }
.drop label { text-decoration: underline; cursor: pointer; }
.drop input[type=file] { display: none; }
.progress { margin-top: .5rem; }
.progress progress { flex: 1; min-width: 10rem; }
.progress-text { font-size: .85rem; color: var(--muted); }
.status { margin: .4rem 0 0; font-size: .9rem; }
.status.error { color: var(--error); }
summary { cursor: pointer; font-weight: 600; }
:is(.cached, .chats) ul { list-style: none; padding: 0; margin: .5rem 0 0; }
:is(.cached, .chats) li { display: flex; gap: .5rem; align-items: center; padding: .2rem 0; flex-wrap: wrap; }
:is(.cached, .chats) .name { flex: 1; overflow-wrap: anywhere; }
:is(.cached, .chats) .size { color: var(--muted); font-size: .85rem; }
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
r1-chat { flex: 1; min-height: 24rem; }
`;
