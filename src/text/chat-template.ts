import { Template } from '@huggingface/jinja';

/*
 * The model's own chat template (tokenizer_config.json or GGUF tokenizer.chat_template) rendered as
 * Hugging Face does: Jinja with trim_blocks/lstrip_blocks, given `messages`, `tools`, `bos_token`,
 * `eos_token` and `add_generation_prompt`, with `raise_exception` available. The template is data
 * interpreted by a sandboxed renderer: it can reach nothing but these values.
 */

/** One call in an assistant message's `tool_calls`; `arguments` is JSON text, as R1's template concatenates it. */
export interface ToolCall {
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** null for an assistant turn that only calls tools. */
  content: string | null;
  tool_calls?: ToolCall[];
}

/** A tool the model may call, as JSON schema (the OpenAI / Hugging Face shape). */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** The chat template does not parse, or failed while rendering (its own raise_exception included). */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface RenderOptions {
  bosToken: string;
  eosToken: string;
  addGenerationPrompt: boolean;
  tools?: ToolSpec[];
}

const compiled = new Map<string, Template>();

/** The prompt text `template` makes of `messages`; the same bytes as Hugging Face's apply_chat_template. */
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
      // transformers passes tools=None when there are none: `tools is defined` holds, `tools` is falsy.
      tools: opts.tools ?? null,
      bos_token: opts.bosToken,
      eos_token: opts.eosToken,
      add_generation_prompt: opts.addGenerationPrompt,
    });
  } catch (e) {
    // Includes the template's own raise_exception() calls (provided by the renderer).
    throw new TemplateError(`the model's chat template failed to render: ${(e as Error).message}`);
  }
}

/**
 * Whether a rendered prompt leaves the model inside an open <think> block, so that its output
 * starts as reasoning (R1-Distill's generation prompt ends in `<think>\n`). Only the end of the
 * prompt counts: a `<think>` the user typed earlier opens nothing.
 */
export function templateOpensThink(renderedPrompt: string): boolean {
  return /<think>\s*$/.test(renderedPrompt);
}

