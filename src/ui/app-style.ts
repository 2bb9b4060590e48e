/** The app's styles, kept in the shadow root. */
export const APP_CSS = `
:host { display: flex; flex-direction: column; gap: .75rem; flex: 1; }
.picker { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.picker form { display: flex; gap: .5rem; flex: 1; min-width: 20rem; }
.picker input[type=text], .picker input:not([type]) { flex: 1; padding: .4rem; }
.note { color: #7a6a2c; font-size: .85rem; }
.messages { flex: 1; display: flex; flex-direction: column; gap: .6rem; overflow-y: auto; }
.msg { padding: .6rem .8rem; border-radius: .6rem; white-space: pre-wrap; max-width: 90%; }
.msg.user { align-self: flex-end; background: #dbe8ff; }
.msg.assistant { align-self: flex-start; background: #fff; border: 1px solid #e2e2dc; }
details { color: #555; font-size: .9rem; margin-bottom: .4rem; }
summary { cursor: pointer; font-style: italic; }
.chat { display: flex; gap: .5rem; }
.chat textarea { flex: 1; padding: .5rem; font: inherit; }
.settings label { margin-right: 1rem; font-size: .9rem; }
.settings input { width: 5rem; }
.stats { color: #666; font-size: .8rem; min-height: 1em; }
`;
