import { Environment, Interpreter, Template } from '@huggingface/jinja';

/*
 * The model's own chat template (tokenizer_config.json or GGUF tokenizer.chat_template) rendered as
 * Hugging Face does: Jinja with trim_blocks/lstrip_blocks, given `messages`, `tools`, `bos_token`,
 * `eos_token` and `add_generation_prompt`, with `raise_exception` available. The template is data
 * interpreted by a sandboxed renderer: it can reach nothing but these values (no JS object, property
 * or global is visible to it), and it runs under a budget (steps, string and list sizes) so that a
 * hostile one fails with a TemplateError instead of looping for ever or exhausting memory.
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

/**
 * The budget of one render: about 2 s of the library's work at most. Real templates stay far below
 * it (R1's renders a 200-message chat in under 16,000 steps); without it `{% for i in range(10**8) %}`
 * ran out of memory after 50 s, and three nested loops over range(1000) ran for hours.
 */
export const TEMPLATE_LIMITS = { steps: 1_000_000, rangeItems: 100_000, stringChars: 2 ** 26, listItems: 1_000_000 };

type Evaluate = Interpreter['evaluate'];

/** The parts of a `{% for %}` node the budget looks at (the library does not export its AST types). */
type ForNode = { type: 'For'; iterable: { type: string; lhs?: object } };

/**
 * The library's interpreter, counting every node it evaluates and measuring every value it makes.
 * A for loop costs a step per item as well: the library iterates without evaluating anything when
 * the body is empty, so three nested empty loops over range(1000) would otherwise run uncounted.
 */
class BudgetedInterpreter extends Interpreter {
  private steps = 0;
  /** The iterable expressions of the loops being entered: their value's length is charged. */
  private readonly loopIterables = new WeakSet<object>();

  private charge(n: number): void {
    this.steps += n;
    if (this.steps > TEMPLATE_LIMITS.steps) throw new TemplateError(`the model's chat template runs past ${TEMPLATE_LIMITS.steps} steps (a loop that does not end?)`);
  }

  override evaluate(...[statement, environment]: Parameters<Evaluate>): ReturnType<Evaluate> {
    this.charge(1);
    if (statement?.type === 'For') {
      const { iterable } = statement as unknown as ForNode;
      this.loopIterables.add(iterable.type === 'SelectExpression' && iterable.lhs ? iterable.lhs : iterable);
    }
    const result = super.evaluate(statement, environment);
    const v: unknown = result.value;
    if (statement && this.loopIterables.has(statement)) this.charge(Array.isArray(v) ? v.length : v instanceof Map ? v.size : 0);
    if (typeof v === 'string' && v.length > TEMPLATE_LIMITS.stringChars) {
      throw new TemplateError(`the model's chat template builds a string of over ${TEMPLATE_LIMITS.stringChars} characters`);
    }
    if (Array.isArray(v) && v.length > TEMPLATE_LIMITS.listItems) throw new TemplateError(`the model's chat template builds a list of over ${TEMPLATE_LIMITS.listItems} items`);
    return result;
  }
}

/** Python's range(), refusing more than TEMPLATE_LIMITS.rangeItems numbers (the list is built whole). */
function boundedRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (![start, stop, step].every(Number.isInteger)) throw new TemplateError('range() takes whole numbers');
  if (step === 0) throw new TemplateError('range() step must not be zero');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n > TEMPLATE_LIMITS.rangeItems) throw new TemplateError(`the model's chat template asks for range() of ${n} numbers (at most ${TEMPLATE_LIMITS.rangeItems})`);
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** strftime_now("%d %b %Y") as the library gives it (Llama 3.1 templates date the system prompt). */
function strftimeNow(format: string): string {
  const d = new Date();
  const pad2 = (n: number) => String(n).padStart(2, '0');
  const month = (style: 'long' | 'short') => new Intl.DateTimeFormat(undefined, { month: style }).format(d);
  const parts: Record<string, () => string> = {
    '%Y': () => String(d.getFullYear()), '%m': () => pad2(d.getMonth() + 1), '%d': () => pad2(d.getDate()),
    '%b': () => month('short'), '%B': () => month('long'), '%H': () => pad2(d.getHours()), '%M': () => pad2(d.getMinutes()), '%%': () => '%',
  };
  return String(format).replace(/%[YmdbBHM%]/g, (t) => parts[t]());
}

/** Template.render with the library's globals (setupGlobals, which it does not export), range bounded, on the budgeted interpreter. */
function renderBudgeted(t: Template, items: Record<string, unknown>): string {
  const env = new Environment();
  const globals: Record<string, unknown> = {
    false: false, true: true, none: null, False: false, True: true, None: null,
    raise_exception: (message: unknown) => {
      throw new TemplateError(String(message));
    },
    range: boundedRange,
    strftime_now: strftimeNow,
    ...items,
  };
  for (const [k, v] of Object.entries(globals)) env.set(k, v);
  return String(new BudgetedInterpreter(env).run(t.parsed).value);
}

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
    return renderBudgeted(t, {
      messages,
      // transformers passes tools=None when there are none: `tools is defined` holds, `tools` is falsy.
      tools: opts.tools ?? null,
      bos_token: opts.bosToken,
      eos_token: opts.eosToken,
      add_generation_prompt: opts.addGenerationPrompt,
    });
  } catch (e) {
    // Includes the template's own raise_exception() calls; a stack overflow (a macro calling itself) too.
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

