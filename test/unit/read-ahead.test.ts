import { readAhead } from '../../src/engine/read-ahead';

/** A reader that records when each page was asked for and whether it was closed. */
function pages(n: number, opts: { failAt?: number } = {}) {
  const log: string[] = [];
  async function* gen() {
    try {
      for (let i = 0; i < n; i++) {
        log.push(`read ${i}`);
        await new Promise((r) => setTimeout(r, 5));
        if (i === opts.failAt) throw new Error(`page ${i} failed`);
        yield i;
      }
    } finally {
      log.push('closed');
    }
  }
  return { log, source: gen() };
}

describe('readAhead', () => {
  test('yields every item in order and reads the next one while the consumer works on the current', async () => {
    const { log, source } = pages(3);
    const seen: number[] = [];
    for await (const i of readAhead(source)) {
      await new Promise((r) => setTimeout(r, 20)); // the consumer's write
      log.push(`wrote ${i}`);
      seen.push(i);
    }
    expect(seen).toEqual([0, 1, 2]);
    // page 1 was asked for before page 0 was written: the overlap
    expect(log.indexOf('read 1')).toBeLessThan(log.indexOf('wrote 0'));
    expect(log.filter((l) => l === 'closed')).toHaveLength(1);
  });

  test('a break closes the reader once, after the read in flight', async () => {
    const { log, source } = pages(10);
    for await (const i of readAhead(source)) if (i === 1) break;
    expect(log.at(-1)).toBe('closed');
    expect(log.filter((l) => l.startsWith('read'))).toEqual(['read 0', 'read 1', 'read 2']); // one item ahead, no more
  });

  test('a read that fails while the consumer is busy is thrown at that item, never lost or unhandled', async () => {
    const { log, source } = pages(5, { failAt: 2 });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const i of readAhead(source)) {
          await new Promise((r) => setTimeout(r, 30));
          seen.push(i);
        }
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([0, 1]);
    expect(log.at(-1)).toBe('closed');
  });

  test('an error in the consumer closes the reader', async () => {
    const { log, source } = pages(5);
    await expect(
      (async () => {
        for await (const i of readAhead(source)) if (i === 0) throw new Error('write refused');
      })(),
    ).rejects.toThrow('write refused');
    expect(log.at(-1)).toBe('closed');
  });
});
