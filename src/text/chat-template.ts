import { Template } from '@huggingface/jinja';

/**
 * The model's own chat template (tokenizer_config.json or GGUF tokenizer.chat_template) rendered as
 * Hugging Face does: Jinja with trim_blocks/lstrip_blocks, given `messages`, `bos_token`, `eos_token`
 * and `add_generation_prompt`. The template is data interpreted by a sandboxed renderer: it can
 * reach nothing but these values.
 */
export interface ToolCall {
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: ToolCall[];
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface RenderOptions {
  bosToken: string;
  eosToken: string;
  addGenerationPrompt: boolean;
}

const compiled = new Map<string, Template>();

export function renderChat(template: string, messages: ChatMessage[], opts: RenderOptions): string {
  let t = compiled.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (e) {
      throw new TemplateError(`the model's chat template does not parse: ${(e as Error).message}`);
    }
    compiled.set(template, t);
  }
  try {
    return t.render({
      messages,
      bos_token: opts.bosToken,
      eos_token: opts.eosToken,
      add_generation_prompt: opts.addGenerationPrompt,
    });
  } catch (e) {
    // Includes the template's own raise_exception() calls (provided by the renderer).
    throw new TemplateError(`the model's chat template failed to render: ${(e as Error).message}`);
  }
}

/** Whether the rendered prompt leaves the model inside an open <think> block (R1-Distill templates do). */
export function promptOpensThink(prompt: string): boolean {
  const open = prompt.lastIndexOf('<think>');
  return open >= 0 && prompt.indexOf('</think>', open) < 0;
}
