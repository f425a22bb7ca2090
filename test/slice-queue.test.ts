import { describe, expect, it } from 'vitest';
import { SliceQueue, slicesOf, slicesOfTime } from '../services/runtime/index.ts';

const turn = () => new Promise((r) => setImmediate(r));

describe('SliceQueue: a FIFO worked off a slice per turn of the event loop', () => {
  it('runs every item once, in order, at most a slice per turn; a throwing item holds back no other', async () => {
    const ran: number[] = [];
    const failures: unknown[] = [];
    const q = new SliceQueue<number>(
      (i) => {
        ran.push(i);
        if (i === 3) throw new Error('a bug');
      },
      slicesOf(4),
      (err) => failures.push(err),
    );
    for (let i = 0; i < 10; i++) q.push(i);
    expect(ran).toEqual([]);
    const perTurn: number[] = [];
    while (ran.length < 10) {
      const before = ran.length;
      await turn();
      perTurn.push(ran.length - before);
    }
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(perTurn).toEqual([4, 4, 2]);
    expect(failures).toHaveLength(1);
    expect(q.waiting).toBe(0);
    // drained: a later item runs on the next turn
    q.push(10);
    await turn();
    expect(ran.at(-1)).toBe(10);
  });

  it('time slices by the given clock; take() runs chosen items out of turn, at most max; clear() empties', async () => {
    let t = 0;
    const ran: string[] = [];
    // every clock read moves 1 ms on; read every other item: two items per 1 ms slice
    const q = new SliceQueue<string>(
      (s) => ran.push(s),
      slicesOfTime(1, () => t++, 2),
    );
    for (const s of ['a1', 'b1', 'a2', 'b2', 'a3', 'c1']) q.push(s);
    expect(q.take((s) => s.startsWith('a'), 2)).toEqual(['a1', 'a2']);
    await turn();
    expect(ran).toEqual(['b1', 'b2']);
    expect(q.clear()).toEqual(['a3', 'c1']);
    await turn();
    expect(ran).toEqual(['b1', 'b2']);
    expect(q.waiting).toBe(0);
  });
});
