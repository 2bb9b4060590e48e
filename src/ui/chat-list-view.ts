/** The list of chats kept in this browser: title, model and date, with Open / Rename / Export / Delete buttons. */
import type { SavedChat } from '../store/chat-history.ts';
import { confirmButton } from './confirm-button.ts';

export interface ChatListActions {
  open(id: string): void;
  exportMarkdown(id: string): void;
  remove(id: string): void;
  /** A name the user gave; '' to go back to the first question. */
  rename(id: string, title: string): void;
}

const DATE: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };

/**
 * Renders the list, unless what it would show is what it shows: a chat being answered is written
 * each second, and rebuilding the list as often would take the focus and clicks from its buttons.
 */
export function renderChatList(list: HTMLElement, chats: readonly SavedChat[], currentId: string | null, actions: ChatListActions): void {
  const doc = list.ownerDocument;
  const meta = (c: SavedChat) => {
    const turns = `${c.turns.length} ${c.turns.length === 1 ? 'turn' : 'turns'}`;
    return [c.model?.label, turns, new Date(c.updatedAt).toLocaleString(undefined, DATE)].filter(Boolean).join(' · ');
  };
  const shown = JSON.stringify([currentId, chats.map((c) => [c.id, c.title, meta(c)])]);
  // A name being typed is not taken away: the list is redrawn when the edit ends.
  if (list.dataset.shown === shown || list.querySelector('.rename')) return;
  list.dataset.shown = shown;
  if (chats.length === 0) {
    const li = doc.createElement('li');
    li.className = 'empty';
    li.textContent = 'No chat yet: what you ask is kept here, in this browser only.';
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(
    ...chats.map((c) => {
      const li = doc.createElement('li');
      li.dataset.id = c.id;
      li.classList.toggle('current', c.id === currentId);
      const title = doc.createElement('span');
      title.className = 'name';
      title.textContent = c.title || '(empty question)';
      const info = doc.createElement('span');
      info.className = 'size';
      info.textContent = meta(c);
      const open = doc.createElement('button');
      open.textContent = c.id === currentId ? 'Shown' : 'Open';
      open.disabled = c.id === currentId;
      open.setAttribute('aria-label', `Open chat ${c.title}`);
      open.addEventListener('click', () => actions.open(c.id));
      const rename = doc.createElement('button');
      rename.textContent = 'Rename';
      rename.setAttribute('aria-label', `Rename chat ${c.title}`);
      rename.addEventListener('click', () => editName(li, title, c, actions));
      const save = doc.createElement('button');
      save.textContent = 'Export';
      save.setAttribute('aria-label', `Export chat ${c.title} as Markdown`);
      save.addEventListener('click', () => actions.exportMarkdown(c.id));
      const remove = confirmButton(doc, 'Delete', `Delete chat ${c.title}`, () => actions.remove(c.id));
      li.append(title, info, open, rename, save, remove);
      return li;
    }),
  );
}

/**
 * The chat's name as a text box in place: Enter keeps it (an empty one goes back to the first
 * question), Escape or leaving the box without Enter changes nothing.
 */
function editName(li: HTMLElement, title: HTMLElement, c: SavedChat, actions: ChatListActions): void {
  const doc = li.ownerDocument;
  const list = li.parentElement!;
  const input = doc.createElement('input');
  input.className = 'rename';
  input.value = c.title;
  input.maxLength = 200;
  input.setAttribute('aria-label', `New name for chat ${c.title}`);
  let done = false;
  const end = (keep: boolean) => {
    if (done) return;
    done = true;
    input.replaceWith(title);
    // Drawn again from the chats as they are then (they may have changed while the name was typed).
    delete list.dataset.shown;
    if (keep) actions.rename(c.id, input.value.replace(/\s+/g, ' ').trim());
  };
  input.addEventListener('keydown', (e) => {
    if (e.isComposing) return;
    if (e.key === 'Enter') end(true);
    if (e.key === 'Escape') end(false);
  });
  input.addEventListener('blur', () => end(false));
  title.replaceWith(input);
  input.focus();
  input.select();
}
