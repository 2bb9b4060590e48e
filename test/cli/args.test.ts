/** `npm run generate` flags: parsed strictly, each bad value named. */
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../scripts/cli/args.ts';

const base = ['--model', 'm.gguf', '--prompt', 'hi'];

describe('parseArgs', () => {
  it('reads the load and sampling flags', () => {
    const { req } = parseArgs([...base, '--temperature', '0', '--quantize', 'fp8', '--fp8-activations', 'off', '--context', '2048']);
    expect(req).toMatchObject({ model: 'm.gguf', prompt: 'hi', temperature: 0, quantize: 'fp8', fp8Activations: 'off', contextLength: 2048 });
  });
  it('names a bad value', () => {
    expect(() => parseArgs([...base, '--fp8-activations', 'weights'])).toThrow(UsageError);
    expect(() => parseArgs([...base, '--fp8-activations', 'weights'])).toThrow(/--fp8-activations is checkpoint or off, not weights/);
    expect(() => parseArgs([...base, '--top-p'])).toThrow(/--top-p needs a value/);
  });
});
