/** A form with a textarea that sends on Enter (Shift+Enter for a new line, IME composition left alone) and on submit. */
export function sendOnEnter(form: HTMLFormElement, textarea: HTMLTextAreaElement, send: () => void): void {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
}
