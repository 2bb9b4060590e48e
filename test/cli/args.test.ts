/** `npm run generate` flags: parsed strictly, each bad value named. */
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../scripts/cli/args.ts';

const base = ['--model', 'm.gguf', '--prompt', 'hi'];

describe('parseArgs', () => {
  it('reads the load and sampling flags', () => {
    const { req } = parseArgs([...base, '--temperature', '0', '--quantize', 'fp8', '--activation-rounding', 'off', '--context', '2048']);
    expect(req).toMatchObject({ model: 'm.gguf', prompt: 'hi', temperature: 0, quantize: 'fp8', activationRounding: 'off', contextLength: 2048 });
  });
  it('names a bad value', () => {
    expect(() => parseArgs([...base, '--activation-rounding', 'weights'])).toThrow(UsageError);
    expect(() => parseArgs([...base, '--activation-rounding', 'weights'])).toThrow(/--activation-rounding is checkpoint or off, not weights/);
    expect(() => parseArgs([...base, '--top-p'])).toThrow(/--top-p needs a value/);
  });
});
