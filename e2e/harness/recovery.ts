/**
 * Failure and recovery through the worker engine, as the page sees it: the GPU device lost (destroyed
 * from outside, as a driver reset would) or the worker failing, during a generation and while idle.
 * Each helper returns what happened for the spec to check: errors as name and message, the events
 * heard, and greedy tokens before and after.
 */
import type { EngineEvent } from '../../src/engine/api.ts';
import { createWorkerEngine, type WorkerEngine } from '../../src/engine/client.ts';

const GREEDY = { temperature: 0, maxNewTokens: 24 };

async function greedy(engine: WorkerEngine, ids: number[]): Promise<number[]> {
  const out: number[] = [];
  for await (const c of engine.generate(ids, GREEDY)) if (c.type === 'token' && c.id >= 0) out.push(c.id);
  return out;
}

/** Event types in order, repeats of `reloading` folded into one. */
function recordEvents(engine: WorkerEngine): { types: string[]; all: EngineEvent[] } {
  const log = { types: [] as string[], all: [] as EngineEvent[] };
  engine.onEvent((e) => {
    log.all.push(e);
    const tag = `${e.type}:${e.cause}`;
    if (log.types.at(-1) !== tag) log.types.push(tag);
  });
  return log;
}

function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (performance.now() - t0 > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

/**
 * Starts a long generation and calls `fail` after the third token; returns how the stream ended
 * (its error) and how long after the failure that took.
 */
async function failDuringGeneration(engine: WorkerEngine, ids: number[], fail: () => void) {
  let tokens = 0;
  let failedAt = 0;
  try {
    for await (const c of engine.generate(ids, { temperature: 0, maxNewTokens: 200 })) {
      if (c.type === 'token' && ++tokens === 3) {
        failedAt = performance.now();
        fail();
      }
    }
    return { tokens, error: null, endedAfterMs: performance.now() - failedAt };
  } catch (e) {
    const err = e as Error;
    return { tokens, error: { name: err.name, message: err.message }, endedAfterMs: performance.now() - failedAt };
  }
}

export async function deviceLoss(c: { url: string; ids: number[] }) {
  const engine = createWorkerEngine();
  const events = recordEvents(engine);
  try {
    await engine.load(c.url, { contextLength: 256 });
    const before = await greedy(engine, c.ids);
    const memoryBefore = await engine.debug.memory();
    const inFlight = await failDuringGeneration(engine, c.ids, () => void engine.debug.loseDevice());
    await until('recovered', () => events.types.includes('recovered:device'));
    const after = await greedy(engine, c.ids);
    const memoryAfter = await engine.debug.memory();
    // Lost while idle: the next generation waits for the reload instead of failing.
    await engine.debug.loseDevice();
    const idle = await greedy(engine, c.ids);
    const recovered = events.all.filter((e) => e.type === 'recovered').length;
    return { before, after, idle, inFlight, events: events.types, recovered, memoryBefore, memoryAfter };
  } finally {
    engine.terminate();
  }
}

export async function workerCrash(c: { url: string; ids: number[]; how: 'throw' | 'exit' }) {
  const engine = createWorkerEngine();
  const events = recordEvents(engine);
  try {
    await engine.load(c.url, { contextLength: 256 });
    const before = await greedy(engine, c.ids);
    const inFlight = await failDuringGeneration(engine, c.ids, () => engine.debug.crashWorker(c.how));
    await until('recovered', () => events.types.includes('recovered:worker'));
    const after = await greedy(engine, c.ids);
    // Dead while idle: the next call waits for the new worker and its reload.
    engine.debug.crashWorker(c.how);
    await until('lost', () => events.types.filter((t) => t === 'lost:worker').length === 2);
    const idle = await greedy(engine, c.ids);
    const lost = events.all.find((e) => e.type === 'lost');
    return { before, after, idle, inFlight, events: events.types, lost };
  } finally {
    engine.terminate();
  }
}

/**
 * The new worker dies too, while it reloads the model: no restart loop, `recovery-failed`, and the
 * page starts over by loading the model again.
 */
export async function crashWhileReloading(c: { url: string; ids: number[] }) {
  const engine = createWorkerEngine();
  const events = recordEvents(engine);
  try {
    await engine.load(c.url, { contextLength: 256 });
    const before = await greedy(engine, c.ids);
    let crashedAgain = false;
    engine.onEvent((e) => {
      if (e.type === 'reloading' && !crashedAgain) {
        crashedAgain = true;
        engine.debug.crashWorker('exit');
      }
    });
    engine.debug.crashWorker('exit');
    await until('recovery-failed', () => events.types.includes('recovery-failed:worker'));
    const failure = events.all.find((e) => e.type === 'recovery-failed');
    let withoutModel: { name: string; message: string } | null = null;
    try {
      await greedy(engine, c.ids);
    } catch (e) {
      withoutModel = { name: (e as Error).name, message: (e as Error).message };
    }
    await engine.load(c.url, { contextLength: 256 });
    const after = await greedy(engine, c.ids);
    return { before, after, events: events.types, failure, withoutModel };
  } finally {
    engine.terminate();
  }
}

/** A worker whose script does not load: the first call fails with WorkerCrashedError instead of waiting. */
export async function brokenWorkerScript(c: { url: string }) {
  const engine = createWorkerEngine(() => new Worker('/e2e/harness/no-such-worker.ts', { type: 'module' }));
  const events = recordEvents(engine);
  const t0 = performance.now();
  try {
    await engine.load(c.url, { contextLength: 256 });
    return null;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message, ms: performance.now() - t0, events: events.types };
  } finally {
    engine.terminate();
  }
}

const errorOf = (e: unknown) => ({ name: (e as Error).name, message: (e as Error).message });

/**
 * Loads stopped through their signal, after a model was loaded: one whose signal had aborted before
 * the call, one stopped while its weights upload. Each leaves no model and no GPU memory; the load
 * after them runs to the end.
 */
export async function stoppedLoads(c: { url: string; ids: number[] }) {
  const engine = createWorkerEngine();
  const events = recordEvents(engine);
  const stopped = async () => ({
    withoutModel: await greedy(engine, c.ids).then(() => null, errorOf),
    memory: await engine.debug.memory(),
  });
  try {
    await engine.load(c.url, { contextLength: 256 });
    const before = await greedy(engine, c.ids);
    const early = new AbortController();
    early.abort();
    const beforeCall = await engine.load(c.url, { contextLength: 256, signal: early.signal }).then(() => null, errorOf);
    const afterEarly = await stopped();

    await engine.load(c.url, { contextLength: 256 });
    const midway = new AbortController();
    const phases: string[] = [];
    const duringUpload = await engine
      .load(c.url, { contextLength: 128, signal: midway.signal }, (p) => {
        phases.push(p.phase);
        if (p.phase === 'uploading') midway.abort();
      })
      .then(() => null, errorOf);
    const afterMidway = await stopped();

    await engine.load(c.url, { contextLength: 256 });
    const after = await greedy(engine, c.ids);
    return { before, after, beforeCall, afterEarly, duringUpload, afterMidway, lastPhase: phases.at(-1), events: events.types };
  } finally {
    engine.terminate();
  }
}
