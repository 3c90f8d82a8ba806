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
      tasks: [
        {
          name: 'slow',
          run: () =>
            new Promise<void>((r) => {
              events.push('started');
              release = () => {
                events.push('finished');
                r();
              };
            }),
        },
      ],
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

  it('runs every task again each intervalMs while started, and no more once stopped', async () => {
    let passes = 0;
    const worker = createWorker({ intervalMs: 30, log, tasks: [{ name: 'counter', run: async () => void passes++ }] });
    worker.start();
    try {
      await new Promise((r) => setTimeout(r, 150));
      // the pass at start, then one every 30 ms: at least three by now
      expect(passes).toBeGreaterThanOrEqual(3);
    } finally {
      await worker.stop();
    }
    const atStop = passes;
    await new Promise((r) => setTimeout(r, 90));
    expect(passes).toBe(atStop);
  });

  it('a failing task does not stop the others', async () => {
    const ran: string[] = [];
    const worker = createWorker({
      intervalMs: 60_000,
      log,
      tasks: [
        {
          name: 'broken',
          run: async () => {
            ran.push('broken');
            throw new Error('boom');
          },
        },
        {
          name: 'fine',
          run: async () => {
            ran.push('fine');
          },
        },
      ],
    });
    await worker.runOnce();
    expect(ran).toEqual(['broken', 'fine']);
  });

  it('a kick runs the onKick tasks promptly, the others only on the interval', async () => {
    const ran: string[] = [];
    const worker = createWorker({
      intervalMs: 60_000,
      log,
      tasks: [
        { name: 'emails', run: async () => void ran.push('emails'), onKick: true },
        { name: 'renewals', run: async () => void ran.push('renewals') },
      ],
    });
    worker.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['emails', 'renewals']);
    worker.kick();
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['emails', 'renewals', 'emails']);
    await worker.stop();
    worker.kick();
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['emails', 'renewals', 'emails']);
  });

  it('a request during a pass runs once more right after it', async () => {
    let passes = 0;
    let release!: () => void;
    const worker = createWorker({
      intervalMs: 60_000,
      log,
      tasks: [
        {
          name: 'gate',
          run: () =>
            new Promise<void>((r) => {
              passes++;
              release = r;
            }),
        },
      ],
    });
    worker.start();
    await new Promise((r) => setImmediate(r));
    const again = worker.runOnce();
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(passes).toBe(2);
    release();
    await again;
    await worker.stop();
  });
});
