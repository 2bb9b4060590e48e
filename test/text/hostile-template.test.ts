/**
 * A chat template is data from the model's files, never code: one written to escape (reach a JS
 * constructor, a global, a prototype) renders as text or fails with a TemplateError, and one written
 * to exhaust the machine (huge ranges, nested loops, doubling strings and lists) fails with a
 * TemplateError within seconds. Tested on the renderer and through a model folder whose
 * tokenizer_config.json carries the template, loaded as the engine loads it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalEngine } from '../../src/engine/local.ts';
import { renderChat, TemplateError, type ChatMessage } from '../../src/text/chat-template.ts';
import { tinyFolder } from '../formats/hostile.ts';

const SECRET = 'TOP-SECRET-7f3a';
type Canary = { __secret?: string; __pwned?: unknown };
const g = globalThis as typeof globalThis & Canary;

beforeEach(() => {
  g.__secret = SECRET;
  delete g.__pwned;
});
afterEach(() => {
  delete g.__secret;
});

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
];
const render = (template: string) => renderChat(template, MESSAGES, { bosToken: '<s>', eosToken: '</s>', addGenerationPrompt: true });

/** Text, or the TemplateError: anything else (a TypeError, a hang, a crash) fails the test. */
function outcome(template: string): string | TemplateError {
  try {
    return render(template);
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
}

/** Nothing reached outside the sandbox: no global written, no prototype polluted, no secret or source text read. */
function expectContained(out: string | TemplateError): void {
  expect(g.__pwned).toBeUndefined();
  for (const proto of [Object.prototype, Array.prototype, String.prototype, Function.prototype, Map.prototype]) {
    expect(Object.getOwnPropertyNames(proto)).not.toContain('polluted');
  }
  if (typeof out === 'string') {
    expect(out).not.toContain(SECRET);
    // Source text of a function or a host object's name would mean a JS value leaked into the output.
    expect(out).not.toMatch(/native code|=>|function|\[object|globalThis|process|require\(/);
  }
}

const ESCAPES = [
  // JS: reach Function through any constructor chain, then run code.
  "{{ messages.constructor.constructor('globalThis.__pwned = 1')() }}",
  "{{ messages['constructor']['constructor']('globalThis.__pwned = 1')() }}",
  "{{ ''.constructor.constructor('globalThis.__pwned = 1')() }}",
  "{{ (1).constructor.constructor('globalThis.__pwned = 1')() }}",
  "{{ raise_exception.constructor('globalThis.__pwned = 1')() }}",
  "{{ range.constructor('globalThis.__pwned = 1')() }}",
  "{{ namespace.constructor('globalThis.__pwned = 1')() }}",
  "{{ messages[0].content.toString.call(messages) }}",
  "{{ messages.map }}{{ messages.push('x') }}{{ messages.__defineGetter__ }}",
  "{{ bos_token.constructor }}{{ add_generation_prompt.constructor }}{{ tools.constructor }}",
  // Python: the classic Jinja sandbox escapes.
  "{{ ''.__class__.__mro__[1].__subclasses__() }}",
  "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
  "{{ lipsum.__globals__['os'] }}{{ self.__init__.__globals__ }}{{ config.items() }}{{ request.application }}",
  // Host globals by name.
  '{{ globalThis }}{{ window }}{{ self }}{{ document }}{{ process }}{{ require }}{{ __secret }}{{ import }}{{ fetch }}{{ eval }}',
  "{{ __secret ~ messages.__secret ~ messages[0].__secret }}",
  // Prototype pollution through assignment.
  "{% set ns = namespace() %}{% set ns.__proto__ = {'polluted': 1} %}{{ ns.polluted }}",
  "{% set ns = namespace(a=1) %}{% set ns.constructor = 1 %}{% set ns.prototype = 1 %}{{ ns }}",
  "{% set x = messages.__proto__ %}{{ x.polluted }}{% set messages = 1 %}{{ messages }}",
  "{{ {'__proto__': {'polluted': 1}}.polluted }}{{ {'constructor': 1}|tojson }}",
];

describe('a hostile chat template reaches nothing', () => {
  it.each(ESCAPES)('%s', (template) => {
    expectContained(outcome(template));
  });

  it('markup in a template is text in the prompt, never markup on a page', () => {
    expect(render("<script>alert(1)</script>{{ '<img src=x onerror=alert(2)>' }}")).toBe('<script>alert(1)</script><img src=x onerror=alert(2)>');
  });

  it('the tojson filter and the message values give data, not host objects', () => {
    expect(render('{{ messages|tojson }}')).toBe('[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]');
    expect(render('{{ messages[1].content }}|{{ messages[1]["role"] }}|{{ messages|length }}')).toBe('Hi|user|2');
  });
});

const BOMBS: [string, RegExp][] = [
  ['{% for i in range(10**9) %}{% endfor %}', /range\(\) of 1000000000 numbers/],
  ['{{ range(10**9)|length }}', /range\(\) of 1000000000 numbers/],
  ['{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}', /runs past 1000000 steps/],
  ['{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}', /runs past 1000000 steps/],
  ["{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}", /a string of over 67108864 characters/],
  ["{% set ns = namespace(a=[1]) %}{% for i in range(64) %}{% set ns.a = ns.a + ns.a %}{% endfor %}{{ ns.a|length }}", /a list of over 1000000 items/],
  ['{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}', /failed to render/],
  ['{% for m in messages %}{% set messages = messages + messages %}{% endfor %}', /./],
];

describe('a hostile chat template cannot exhaust the machine', () => {
  it.each(BOMBS)('%s', (template, want) => {
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    const out = outcome(template);
    const ms = performance.now() - t0;
    if (typeof out === 'string') {
      // Only the last case may render (its loop runs over the list it had when it started).
      expect(template).toContain('messages + messages');
    } else {
      expect(out.message).toMatch(want);
    }
    // Seconds, not the hours an unbounded loop would take: the million-step bomb alone took 5.8 s
    // on a 2-core CI machine with other test files running beside it.
    expect(ms).toBeLessThan(15_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(1024 * 2 ** 20);
    expectContained(out);
  });

  it('a long real conversation stays far inside the budget', () => {
    const long: ChatMessage[] = [];
    for (let i = 0; i < 2000; i++) long.push({ role: 'user', content: `question ${i}` }, { role: 'assistant', content: `answer ${i}` });
    const t = "{% for m in messages %}{% if m['role'] == 'user' %}<u>{{ m['content'] }}{% else %}<a>{{ m['content'] }}{% endif %}{% endfor %}";
    expect(renderChat(t, long, { bosToken: '', eosToken: '', addGenerationPrompt: false })).toContain('<a>answer 1999');
  });
});

describe('a hostile template in tokenizer_config.json, loaded as the engine loads a model folder', () => {
  const load = async (template: unknown) => {
    const engine = createLocalEngine();
    const info = await engine.load({ folder: tinyFolder({ 'tokenizer_config.json': JSON.stringify({ eos_token: '<eos>', chat_template: template }) }) }, { textOnly: true });
    return { engine, info };
  };

  it('an escape attempt renders as text and reaches nothing', async () => {
    const { engine, info } = await load("{{ messages.constructor.constructor('globalThis.__pwned = 1')() }}");
    expect(info.hasChatTemplate).toBe(true);
    const err = await engine.renderChat([{ role: 'user', content: 'Hi' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateError);
    expect(g.__pwned).toBeUndefined();
    const leak = await load('{{ __secret }}{{ globalThis }}{{ messages[0].content }}!');
    expect(await leak.engine.renderChat([{ role: 'user', content: 'Hi' }])).toBe('Hi!');
  });

  it('a bomb fails with a TemplateError the page can explain, and the engine keeps working', async () => {
    const { engine } = await load([
      { name: 'default', template: '{% for i in range(10**9) %}{% endfor %}' },
      { name: 'tool_use', template: '{{ messages[0].content }}' },
    ]);
    const err = await engine.renderChat([{ role: 'user', content: 'Hi' }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TemplateError', message: expect.stringMatching(/range\(\) of 1000000000 numbers/) });
    expect(await engine.encode('ab a')).toEqual([2, 3, 0]);
  });
});
