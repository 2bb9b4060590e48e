/** The list of chats kept in this browser: title, model and date, with Open / Delete buttons. */
import type { SavedChat } from '../store/chat-history.ts';

export interface ChatListActions {
  open(chat: SavedChat): void;
  remove(chat: SavedChat): void;
}

export function renderChatList(list: HTMLElement, chats: readonly SavedChat[], currentId: string | null, actions: ChatListActions): void {
  const doc = list.ownerDocument;
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
      const meta = doc.createElement('span');
      meta.className = 'size';
      const turns = `${c.turns.length} ${c.turns.length === 1 ? 'turn' : 'turns'}`;
      meta.textContent = [c.model, turns, new Date(c.updatedAt).toLocaleString()].filter(Boolean).join(' · ');
      const open = doc.createElement('button');
      open.textContent = c.id === currentId ? 'Shown' : 'Open';
      open.disabled = c.id === currentId;
      open.setAttribute('aria-label', `Open chat ${c.title}`);
      open.addEventListener('click', () => actions.open(c));
      const remove = doc.createElement('button');
      remove.textContent = 'Delete';
      remove.setAttribute('aria-label', `Delete chat ${c.title}`);
      remove.addEventListener('click', () => actions.remove(c));
      li.append(title, meta, open, remove);
      return li;
    }),
  );
}
