// @vitest-environment jsdom
/** The chat list: titles shown as text, the chat on screen marked, buttons that act on their own chat. */
import { expect, test } from 'vitest';
import type { SavedChat } from '../../src/store/chat-history.ts';
import { renderChatList } from '../../src/ui/chat-list-view.ts';

const chat = (id: string, title: string, turns: number): SavedChat => ({
  version: 1,
  id,
  title,
  model: { label: '/demo-model/', key: 'http://localhost/demo-model/' },
  createdAt: 0,
  updatedAt: 0,
  turns: Array.from({ length: turns }, () => ({ user: title, reply: '', status: 'done', reasoning: '', answer: '', thought: null, notes: [] })),
});

test('no chat: a line that says where chats will be kept', () => {
  const ul = document.createElement('ul');
  renderChatList(ul, [], null, { open: () => {}, exportMarkdown: () => {}, remove: () => {}, rename: () => {} });
  expect(ul.textContent).toBe('No chat yet: what you ask is kept here, in this browser only.');
});

test('each chat with its model and turns; the one shown cannot be opened again; buttons act on their chat', () => {
  const ul = document.createElement('ul');
  const acted: string[] = [];
  const chats = [chat('a', '<img src=x onerror=alert(1)>', 1), chat('b', 'Why?', 3)];
  renderChatList(ul, chats, 'a', { open: (id) => acted.push(`open ${id}`), exportMarkdown: (id) => acted.push(`export ${id}`), remove: (id) => acted.push(`remove ${id}`), rename: (id, t) => acted.push(`rename ${id} ${t}`) });
  const items = [...ul.querySelectorAll('li')];
  expect(items.map((li) => li.querySelector('.name')!.textContent)).toEqual(['<img src=x onerror=alert(1)>', 'Why?']);
  expect(ul.querySelector('img')).toBeNull();
  expect(items[0].classList.contains('current')).toBe(true);
  expect(items[0].querySelector('.size')!.textContent).toMatch(/^\/demo-model\/ · 1 turn · /);
  expect(items[1].querySelector('.size')!.textContent).toMatch(/^\/demo-model\/ · 3 turns · /);
  const [shown, , , removeA] = items[0].querySelectorAll('button');
  expect([shown.textContent, shown.disabled]).toEqual(['Shown', true]);
  const [openB, , exportB, removeB] = items[1].querySelectorAll('button');
  exportB.click();
  expect(acted).toEqual(['export b']);
  acted.length = 0;
  openB.click();
  // Deleting asks first: one click changes the button, a second acts.
  removeB.click();
  expect(acted).toEqual(['open b']);
  expect([removeB.textContent, removeB.getAttribute('aria-label')]).toEqual(['Really delete?', 'Really delete chat Why?? It cannot be undone.']);
  removeB.click();
  removeA.click();
  removeA.click();
  expect(acted).toEqual(['open b', 'remove b', 'remove a']);
  expect(removeB.textContent).toBe('Delete');
});

test('a list that would show the same is left as it is (its buttons keep focus and clicks); a change redraws it', () => {
  const ul = document.createElement('ul');
  const actions = { open: () => {}, exportMarkdown: () => {}, remove: () => {}, rename: () => {} };
  const chats = [chat('a', 'One', 1)];
  renderChatList(ul, chats, 'a', actions);
  const first = ul.querySelector('li');
  renderChatList(ul, [{ ...chats[0], updatedAt: 20_000 }], 'a', actions);
  expect(ul.querySelector('li')).toBe(first);
  renderChatList(ul, [chat('a', 'One', 2)], 'a', actions);
  expect(ul.querySelector('li')).not.toBe(first);
  expect(ul.querySelector('.size')!.textContent).toContain('2 turns');
});

test('Rename: the name typed in place is kept on Enter (spaces folded), Escape or leaving the box keeps the old one', () => {
  const ul = document.createElement('ul');
  document.body.append(ul);
  const renamed: string[] = [];
  const actions = { open: () => {}, exportMarkdown: () => {}, remove: () => {}, rename: (id: string, t: string) => renamed.push(`${id}:${t}`) };
  const chats = [chat('a', 'One', 1)];
  renderChatList(ul, chats, 'a', actions);
  const rename = () => {
    [...ul.querySelectorAll('button')].find((b) => b.textContent === 'Rename')!.click();
    return ul.querySelector<HTMLInputElement>('input.rename')!;
  };
  let box = rename();
  expect(box.value).toBe('One');
  // The list is not redrawn under a name being typed.
  renderChatList(ul, [chat('a', 'One', 2)], 'a', actions);
  expect(ul.querySelector('input.rename')).toBe(box);
  box.value = '  Trip   plans ';
  box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
  expect(renamed).toEqual(['a:Trip plans']);
  expect(ul.querySelector('input.rename')).toBeNull();
  box = rename();
  box.value = 'never kept';
  box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
  box = rename();
  box.value = 'not this either';
  box.blur();
  expect(renamed).toEqual(['a:Trip plans']);
  expect(ul.querySelector('.name')!.textContent).toBe('One');
  ul.remove();
});
