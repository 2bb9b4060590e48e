/** The list of models kept in this browser, with their sizes and Open / Resume / Delete buttons. */
import type { CachedModelSummary } from '../store/model-cache.ts';
import { confirmButton } from './confirm-button.ts';
import { formatBytes } from './format.ts';

export interface CachedModelActions {
  open(m: CachedModelSummary): void;
  remove(m: CachedModelSummary): void;
}

export function renderCachedModels(list: HTMLElement, models: CachedModelSummary[], actions: CachedModelActions): void {
  const doc = list.ownerDocument;
  if (models.length === 0) {
    const li = doc.createElement('li');
    li.className = 'empty';
    li.textContent = 'No model is kept in this browser yet.';
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(
    ...models.map((m) => {
      const li = doc.createElement('li');
      li.dataset.key = m.key;
      const name = doc.createElement('span');
      name.className = 'name';
      name.textContent = m.source;
      const size = doc.createElement('span');
      size.className = 'size';
      size.textContent = m.complete ? formatBytes(m.totalBytes) : `${formatBytes(m.storedBytes)} of ${formatBytes(m.totalBytes)} (download paused)`;
      const open = doc.createElement('button');
      open.textContent = m.complete ? 'Open' : 'Resume';
      open.addEventListener('click', () => actions.open(m));
      const remove = confirmButton(doc, 'Delete', `Delete ${m.source}`, () => actions.remove(m));
      li.append(name, size, open, remove);
      return li;
    }),
  );
}
