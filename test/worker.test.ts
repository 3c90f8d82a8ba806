import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createWorker } from '../src/jobs/worker.js';

const log = pino({ level: 'silent' });

describe('the worker loop', () => {
  it('stop() waits for the pass in progress (SIGTERM finishes the current job)', async () => {
    const events: string[] = [];
    let release!: () => void;
    const worker = createWorker({
      intervalMs: 60_000,
      log,
      tasks: [{ name: 'slow', run: () => new Promise<void>((r) => { events.push('started'); release = () => { events.push('finished'); r(); }; }) }],
    });
    worker.start();
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['started']);
    const stopped = worker.stop().then(() => events.push('stopped'));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['started']);
    release();
    await stopped;
    expect(events).toEqual(['started', 'finished', 'stopped']);
  });

  it('a failing task does not stop the others', async () => {
    const ran: string[] = [];
    const worker = createWorker({
      intervalMs: 60_000,
      log,
      tasks: [
        { name: 'broken', run: async () => { ran.push('broken'); throw new Error('boom'); } },
        { name: 'fine', run: async () => { ran.push('fine'); } },
      ],
    });
    await worker.runOnce();
    expect(ran).toEqual(['broken', 'fine']);
  });

  it('a kick after commit runs a pass promptly, and again after one in progress', async () => {
    let passes = 0;
    const worker = createWorker({ intervalMs: 60_000, log, tasks: [{ name: 'count', run: async () => { passes++; } }] });
    worker.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(passes).toBe(1);
    worker.kick();
    await new Promise((r) => setTimeout(r, 20));
    expect(passes).toBe(2);
    await worker.stop();
    worker.kick();
    await new Promise((r) => setTimeout(r, 20));
    expect(passes).toBe(2);
  });
});
