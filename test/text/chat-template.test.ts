import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChat, templateOpensThink, TemplateError, type ChatMessage, type ToolSpec } from '../../src/text/chat-template.ts';

/**
 * renderChat must give the same bytes as Hugging Face's Python Jinja2 rendering: the expected
 * strings were rendered by test/fixtures/text/render_reference.py (jinja2, HF's environment), so a
 * mismatch here is a prompt the model was never trained on.
 */
interface Case {
  name: string;
  template: 'r1' | 'layout';
  messages: ChatMessage[];
  tools?: ToolSpec[];
  add_generation_prompt: boolean;
  expected: string;
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/text/template-cases.json', import.meta.url), 'utf8')) as {
  bos_token: string;
  eos_token: string;
  templates: { layout: string };
  cases: Case[];
};
const R1_TEMPLATE = readFileSync(new URL('../../scripts/fixtures/r1-distill-chat-template.jinja', import.meta.url), 'utf8');
const opts = (addGenerationPrompt: boolean) => ({ bosToken: fixtures.bos_token, eosToken: fixtures.eos_token, addGenerationPrompt });

describe('renderChat equals Python Jinja2', () => {
  it('has the cases it was generated with', () => {
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(8);
    // The real tokens: fullwidth bars and U+2581, which copies often lose.
    expect(fixtures.bos_token).toBe('<\uff5cbegin\u2581of\u2581sentence\uff5c>');
  });
  for (const c of fixtures.cases) {
    it(c.name, () => {
      const source = c.template === 'layout' ? fixtures.templates.layout : R1_TEMPLATE;
      expect(renderChat(source, c.messages, { ...opts(c.add_generation_prompt), tools: c.tools })).toBe(c.expected);
    });
  }
});

describe('renderChat', () => {
  it('leaves R1 prompts inside an open <think> only with a generation prompt', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    expect(templateOpensThink(renderChat(R1_TEMPLATE, messages, opts(true)))).toBe(true);
    expect(templateOpensThink(renderChat(R1_TEMPLATE, messages, opts(false)))).toBe(false);
  });
  it('reports a template that does not parse as TemplateError', () => {
    expect(() => renderChat('{% if %}', [], opts(true))).toThrow(TemplateError);
    expect(() => renderChat('{% if %}', [], opts(true))).toThrow(/does not parse/);
  });
  it("surfaces the template's own raise_exception message", () => {
    const t = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}{% endif %}ok";
    expect(renderChat(t, [{ role: 'user', content: 'x' }], opts(true))).toBe('ok');
    expect(() => renderChat(t, [{ role: 'assistant', content: 'x' }], opts(true))).toThrow(/failed to render: Conversations must start with a user turn/);
  });
});

describe('templateOpensThink', () => {
  it('is true only when the prompt ends in an open <think>', () => {
    expect(templateOpensThink('a<think>b</think>c<think>\n')).toBe(true);
    expect(templateOpensThink('<\uff5cAssistant\uff5c><think>')).toBe(true);
    expect(templateOpensThink('a<think>b</think>c')).toBe(false);
    expect(templateOpensThink('no tags')).toBe(false);
    // Qwen3-style "thinking off": an empty, closed block.
    expect(templateOpensThink('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(false);
  });

  it('is false for older templates that end bare, even when the user typed <think>', () => {
    const old = "{{ bos_token }}{% for m in messages %}{{ '<\uff5cUser\uff5c>' + m['content'] }}{% endfor %}{{ '<\uff5cAssistant\uff5c>' }}";
    const prompt = renderChat(old, [{ role: 'user', content: 'What does <think> do?' }], opts(true));
    expect(prompt.endsWith('<\uff5cAssistant\uff5c>')).toBe(true);
    expect(templateOpensThink(prompt)).toBe(false);
  });
});
