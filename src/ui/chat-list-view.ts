/** The list of chats kept in this browser: title, model and date, with Open / Export / Delete buttons. */
import type { SavedChat } from '../store/chat-history.ts';
import { confirmButton } from './confirm-button.ts';

export interface ChatListActions {
  open(id: string): void;
  exportMarkdown(id: string): void;
  remove(id: string): void;
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
  if (list.dataset.shown === shown) return;
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
      const save = doc.createElement('button');
      save.textContent = 'Export';
      save.setAttribute('aria-label', `Export chat ${c.title} as Markdown`);
      save.addEventListener('click', () => actions.exportMarkdown(c.id));
      const remove = confirmButton(doc, 'Delete', `Delete chat ${c.title}`, () => actions.remove(c.id));
      li.append(title, info, open, save, remove);
      return li;
    }),
  );
}
