import { renderChat, TemplateError, type ChatMessage } from '../text/chat-template.ts';
import type { ModelBundle } from './model-files.ts';

/** The model's own chat template applied to `messages`, with the bos/eos strings Hugging Face passes. */
export function renderPrompt(bundle: ModelBundle, messages: ChatMessage[], addGenerationPrompt = true): string {
  const template = bundle.chatTemplate;
  if (!template) throw new TemplateError(`${bundle.name} has no chat template: send a raw prompt instead`);
  const tok = bundle.tokenizer;
  const text = (id: number | null | undefined) => (id === null || id === undefined ? '' : new TextDecoder().decode(tok.tokenBytes(id)));
  return renderChat(template, messages, { bosToken: text(tok.bosId), eosToken: text(tok.eosIds[0]), addGenerationPrompt });
}
