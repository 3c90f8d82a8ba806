import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWorker } from '../src/jobs/worker.js';

const log = pino({ level: 'silent' });

/**
 * The interval timer runs on vitest's fake clock, moved by the test; nothing here waits on wall
 * time. setImmediate stays real: the worker's kick uses it, and one turn of the event loop after
 * it (every promise callback already run) is how a test knows a kick or a pass has had its chance.
 */
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

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
    await nextTurn();
    expect(events).toEqual(['started']);
    const stopped = worker.stop().then(() => events.push('stopped'));
    await nextTurn();
    await vi.advanceTimersByTimeAsync(120_000);
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
      await nextTurn();
      // the pass at start, then one each time 30 ms of the fake clock pass
      expect(passes).toBe(1);
      await vi.advanceTimersByTimeAsync(29);
      expect(passes).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(passes).toBe(2);
      await vi.advanceTimersByTimeAsync(60);
      expect(passes).toBe(4);
    } finally {
      await worker.stop();
    }
    const atStop = passes;
    await vi.advanceTimersByTimeAsync(90);
    await nextTurn();
    expect(passes).toBe(atStop);
    expect(vi.getTimerCount()).toBe(0);
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
    await nextTurn();
    expect(ran).toEqual(['emails', 'renewals']);
    worker.kick();
    // the kick's own setImmediate was queued first, so it has run by the end of this turn
    await nextTurn();
    await nextTurn();
    expect(ran).toEqual(['emails', 'renewals', 'emails']);
    // the interval, not the kick, brings the others round
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ran).toEqual(['emails', 'renewals', 'emails', 'emails', 'renewals']);
    await worker.stop();
    worker.kick();
    await nextTurn();
    await nextTurn();
    expect(ran).toEqual(['emails', 'renewals', 'emails', 'emails', 'renewals']);
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
    await nextTurn();
    const again = worker.runOnce();
    release();
    await nextTurn();
    expect(passes).toBe(2);
    release();
    await again;
    await worker.stop();
  });
});
