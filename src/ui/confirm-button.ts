/**
 * A button for something that cannot be undone (deleting a chat, a kept model): the first click
 * asks, a second one within a few seconds acts; otherwise it goes back to its label.
 */
const CONFIRM_MS = 4000;

export function confirmButton(doc: Document, label: string, ariaLabel: string, action: () => void): HTMLButtonElement {
  const button = doc.createElement('button');
  button.type = 'button';
  let timer = 0;
  const reset = () => {
    clearTimeout(timer);
    timer = 0;
    button.textContent = label;
    button.setAttribute('aria-label', ariaLabel);
    button.classList.remove('confirming');
  };
  reset();
  button.addEventListener('click', () => {
    if (timer) {
      reset();
      action();
      return;
    }
    button.textContent = `Really ${label.toLowerCase()}?`;
    button.setAttribute('aria-label', `Really ${ariaLabel.charAt(0).toLowerCase()}${ariaLabel.slice(1)}? It cannot be undone.`);
    button.classList.add('confirming');
    timer = window.setTimeout(reset, CONFIRM_MS);
  });
  return button;
}
