/** Chat elements sharing an engine take turns; a waiting turn can be called off. */
import { expect, test } from 'vitest';
import { withEngineLock } from '../../src/ui/engine-lock.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

test('tasks on one engine run one at a time, in the order they asked', async () => {
  const engine = {};
  const log: string[] = [];
  let running = 0;
  const task = (name: string) => async () => {
    running++;
    expect(running).toBe(1);
    log.push(`start ${name}`);
    await tick();
    log.push(`end ${name}`);
    running--;
    return name;
  };
  const results = await Promise.all([withEngineLock(engine, task('a')), withEngineLock(engine, task('b')), withEngineLock(engine, task('c'))]);
  expect(results).toEqual(['a', 'b', 'c']);
  expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
});

test('a failing task frees the engine for the next', async () => {
  const engine = {};
  const first = withEngineLock(engine, async () => {
    throw new Error('boom');
  });
  const second = withEngineLock(engine, async () => 'ok');
  await expect(first).rejects.toThrow('boom');
  await expect(second).resolves.toBe('ok');
});

test('different engines do not wait for each other', async () => {
  let release!: () => void;
  const slow = withEngineLock({}, () => new Promise<void>((r) => (release = r)));
  await expect(withEngineLock({}, async () => 'free')).resolves.toBe('free');
  release();
  await slow;
});

test('aborting while waiting leaves the queue without running; the queue goes on', async () => {
  const engine = {};
  let release!: () => void;
  const ran: string[] = [];
  const holder = withEngineLock(engine, () => new Promise<void>((r) => (release = r)));
  const controller = new AbortController();
  const waiting = withEngineLock(engine, async () => void ran.push('aborted one'), controller.signal);
  const after = withEngineLock(engine, async () => void ran.push('after'));
  controller.abort();
  await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  release();
  await holder;
  await after;
  expect(ran).toEqual(['after']);
});

test('an already aborted signal never runs the task', async () => {
  const controller = new AbortController();
  controller.abort();
  let ran = false;
  await expect(withEngineLock({}, async () => void (ran = true), controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  expect(ran).toBe(false);
});
