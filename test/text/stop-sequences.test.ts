/** Stop sequences over streamed text: cut at the first, held back while undecided, across pieces. */
import { describe, expect, it } from 'vitest';
import { createStopMatcher } from '../../src/text/stop-sequences.ts';

function run(stops: string[], pieces: string[]) {
  const m = createStopMatcher(stops);
  let text = '';
  let stopped = false;
  for (const p of pieces) {
    const r = m.push(p);
    text += r.text;
    stopped = r.stopped;
  }
  return { text: text + m.flush(), stopped };
}

describe('createStopMatcher', () => {
  it('cuts before the first stop sequence, the sequence dropped', () => {
    expect(run(['END'], ['The answer is 4.', ' END and more'])).toEqual({ text: 'The answer is 4. ', stopped: true });
    expect(run(['\n\n', 'x'], ['a\n', '\nb x'])).toEqual({ text: 'a', stopped: true });
  });
  it('finds a sequence split across pieces, and the earliest of several', () => {
    expect(run(['STOP'], ['abc ST', 'O', 'P def'])).toEqual({ text: 'abc ', stopped: true });
    expect(run(['later', 'soon'], ['so', 'on and later'])).toEqual({ text: '', stopped: true });
  });
  it('holds back only what could start a sequence, and gives it back when it does not', () => {
    const m = createStopMatcher(['<END>']);
    expect(m.push('value <E')).toEqual({ text: 'value ', stopped: false });
    expect(m.push('XAMPLE')).toEqual({ text: '<EXAMPLE', stopped: false });
    expect(m.push(' <')).toEqual({ text: ' ', stopped: false });
    expect(m.flush()).toBe('<');
  });
  it('with no stop sequences passes everything through', () => {
    expect(run([], ['a', 'b'])).toEqual({ text: 'ab', stopped: false });
  });
});
