// The write queue of one process: one write at a time, in order, and a full queue refuses at once.
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/http/errorStatus.js';
import { WriteQueue } from '../../src/services/writeQueue.js';

describe('WriteQueue', () => {
  it('runs writes one at a time in arrival order, and refuses one more than it holds with 503 at once', async () => {
    const queue = new WriteQueue(2);
    const order: string[] = [];
    let release: () => void = () => {};
    const first = queue.run(async () => {
      order.push('first started');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      order.push('first done');
      return 1;
    });
    const second = queue.run(async () => {
      order.push('second');
      return 2;
    });
    expect(queue.depth).toBe(2);

    await expect(queue.run(async () => 3)).rejects.toMatchObject({
      code: 'REPO_BUSY',
      retryAfterSeconds: 1,
    });
    expect(ERROR_STATUS.REPO_BUSY).toBe(503);
    expect(order).toEqual(['first started']);

    release();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(order).toEqual(['first started', 'first done', 'second']);
    expect(queue.depth).toBe(0);
    expect(await queue.run(async () => 'room again')).toBe('room again');
  });

  it('goes on after a write that failed', async () => {
    const queue = new WriteQueue();
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 'next')).toBe('next');
  });

  it('when closed (shutdown), finishes the write that runs and refuses those waiting and new ones with 503', async () => {
    const queue = new WriteQueue();
    let release: () => void = () => {};
    let started: () => void = () => {};
    const hasStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const ran: string[] = [];
    const running = queue.run(async () => {
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      ran.push('running');
      return 'written';
    });
    const waiting = queue.run(async () => {
      ran.push('waiting');
    });
    await hasStarted;
    queue.close();
    const refused = { code: 'REPO_BUSY', retryAfterSeconds: 1 };
    expect(ERROR_STATUS.REPO_BUSY).toBe(503);
    await expect(queue.run(async () => ran.push('new'))).rejects.toMatchObject(refused);
    const waitingRefused = expect(waiting).rejects.toMatchObject(refused);

    release();
    expect(await running).toBe('written');
    await waitingRefused;
    expect(ran).toEqual(['running']);
    expect(queue.depth).toBe(0);
  });
});
